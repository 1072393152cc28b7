"""The indicator catalog: codes, names, pillars, units and where values come from.

`method` says how a value is obtained: "computed" from raw records by the KPI
engine (`data_access.kpi`), or "observed" (a reported figure stored as an
observation, e.g. fibre km, which has no raw records).
"""
from __future__ import annotations

from dataclasses import dataclass

PILLARS = ("governance", "living", "environment", "economy")


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    name_vi: str
    name_en: str
    pillar: str
    unit: str
    method: str
    source: str
    higher_is_better: bool = True


_RAW = "Tính từ bản ghi gốc (CSDL KPI/IOC)"
_IOC = "Tính từ CSDL IOC"
_REPORT = "Báo cáo của UBND thành phố"

CATALOG: tuple[IndicatorDef, ...] = (
    IndicatorDef("camera.security_total", "Camera an ninh", "Security cameras",
                 "living", "count", "computed", _IOC),
    IndicatorDef("camera.security_installed", "Camera an ninh lắp mới trong kỳ",
                 "Security cameras installed in period", "living", "count", "computed", _IOC),
    IndicatorDef("camera.traffic_total", "Camera giao thông", "Traffic cameras",
                 "living", "count", "computed", _IOC),
    IndicatorDef("camera.key_locations_security_rate", "Điểm trọng yếu có camera an ninh",
                 "Key locations with security cameras", "living", "%", "computed", _IOC),
    IndicatorDef("camera.key_locations_traffic_rate", "Điểm trọng yếu có camera giao thông",
                 "Key locations with traffic cameras", "living", "%", "computed", _IOC),
    IndicatorDef("wifi.access_points", "Điểm truy cập Internet công cộng",
                 "Public internet access points", "living", "count", "computed", _IOC),
    IndicatorDef("wifi.free_stations", "Trạm wifi miễn phí", "Free wifi stations",
                 "living", "count", "computed", _IOC),
    IndicatorDef("services.procedures_total", "Thủ tục hành chính", "Administrative procedures",
                 "governance", "count", "computed", _RAW),
    IndicatorDef("services.procedures_online", "Thủ tục cung cấp trực tuyến",
                 "Procedures offered online", "governance", "count", "computed", _RAW),
    IndicatorDef("services.procedures_online_rate", "Tỷ lệ thủ tục cung cấp trực tuyến",
                 "Share of procedures offered online", "governance", "%", "computed", _RAW),
    IndicatorDef("services.dossiers_total", "Hồ sơ tiếp nhận", "Dossiers received",
                 "governance", "count", "computed", _RAW),
    IndicatorDef("services.online_submission_rate", "Tỷ lệ hồ sơ nộp trực tuyến",
                 "Online submission rate", "governance", "%", "computed", _RAW),
    IndicatorDef("services.on_time_rate", "Tỷ lệ hồ sơ giải quyết đúng hạn",
                 "Dossiers finished on time", "governance", "%", "computed", _RAW),
    IndicatorDef("services.level3_dossiers", "Hồ sơ trực tuyến mức độ 3", "Level-3 online dossiers",
                 "governance", "count", "computed", _RAW),
    IndicatorDef("services.level3_on_time_rate", "Hồ sơ mức độ 3 đúng hạn",
                 "Level-3 dossiers on time", "governance", "%", "computed", _RAW),
    IndicatorDef("services.level4_dossiers", "Hồ sơ trực tuyến mức độ 4", "Level-4 online dossiers",
                 "governance", "count", "computed", _RAW),
    IndicatorDef("services.level4_on_time_rate", "Hồ sơ mức độ 4 đúng hạn",
                 "Level-4 dossiers on time", "governance", "%", "computed", _RAW),
    IndicatorDef("services.digitised_rate", "Tỷ lệ hồ sơ, kết quả được số hóa",
                 "Dossiers and results digitised", "governance", "%", "computed", _RAW),
    IndicatorDef("services.online_payment_rate", "Tỷ lệ thanh toán trực tuyến",
                 "Online payment rate", "governance", "%", "computed", _RAW),
    IndicatorDef("services.feedback_on_time_rate", "Phản ánh được trả lời trong 15 ngày làm việc",
                 "Citizen feedback answered within 15 working days", "governance", "%", "computed", _IOC),
    IndicatorDef("services.satisfaction_proxy", "Mức độ hài lòng (ước tính)",
                 "Satisfaction (proxy)", "governance", "%", "computed", _RAW),
    IndicatorDef("docs.sent", "Văn bản điện tử gửi qua hệ thống", "E-documents sent",
                 "governance", "count", "computed", _RAW),
    IndicatorDef("docs.signed_rate", "Văn bản được ký số (tổ chức và lãnh đạo)",
                 "E-documents digitally signed", "governance", "%", "computed", _RAW),
    IndicatorDef("meetings.electronic_rate", "Cuộc họp tổ chức trực tuyến/không giấy",
                 "Meetings held electronically", "governance", "%", "computed", _RAW),
    IndicatorDef("meetings.video_conference_ward_rate", "Phường, xã có hội nghị truyền hình",
                 "Wards with video conferencing", "governance", "%", "observed", _REPORT),
    IndicatorDef("gov.email_account_rate", "Cán bộ có hộp thư công vụ",
                 "Civil servants with official e-mail", "governance", "%", "observed", _REPORT),
    IndicatorDef("gov.reports_on_system_rate", "Báo cáo KT-XH thực hiện trên hệ thống",
                 "Socio-economic reports made on the system", "governance", "%", "observed", _REPORT),
    IndicatorDef("ioc.services_integrated_rate", "Dịch vụ cơ bản tích hợp vào IOC",
                 "Basic services integrated into the IOC", "governance", "%", "observed", _REPORT),
    IndicatorDef("citizens.e_account_rate", "Người dân có tài khoản điện tử",
                 "Citizens with e-accounts", "living", "%", "observed", _REPORT),
    IndicatorDef("citizens.egov_app_rate", "Người dân dùng ứng dụng chính quyền điện tử",
                 "Citizens using the e-government app", "living", "%", "observed", _REPORT),
    IndicatorDef("internet.household_rate", "Hộ gia đình sử dụng Internet",
                 "Households using the internet", "living", "%", "observed", _REPORT),
    IndicatorDef("internet.business_rate", "Doanh nghiệp, tổ chức sử dụng Internet",
                 "Businesses using the internet", "economy", "%", "observed", _REPORT),
    IndicatorDef("infra.fibre_km", "Cáp quang đã lắp đặt", "Fibre-optic cable laid",
                 "living", "km", "observed", _REPORT),
    IndicatorDef("health.facilities_linked_rate", "Cơ sở y tế liên thông giám định BHXH",
                 "Health facilities linked to social insurance", "living", "%", "observed", _REPORT),
    IndicatorDef("safety.fire_warning_rate", "Điểm trọng yếu có thiết bị cảnh báo cháy, sự cố",
                 "Key locations with fire/incident warning", "living", "%", "observed", _REPORT),
    IndicatorDef("env.air_stations", "Trạm quan trắc không khí", "Air monitoring stations",
                 "environment", "count", "computed", _IOC),
    IndicatorDef("env.water_stations", "Trạm quan trắc nước", "Water monitoring stations",
                 "environment", "count", "computed", _IOC),
    IndicatorDef("env.pm25_mean", "Bụi PM2.5 trung bình", "Mean PM2.5",
                 "environment", "µg/m³", "computed", _IOC, higher_is_better=False),
    IndicatorDef("economy.ecommerce_household_rate", "Hộ gia đình có tài khoản TMĐT",
                 "Households with e-commerce accounts", "economy", "%", "observed", _REPORT),
    IndicatorDef("economy.ecommerce_business_rate", "Doanh nghiệp có tài khoản TMĐT",
                 "Businesses with e-commerce accounts", "economy", "%", "observed", _REPORT),
    IndicatorDef("economy.online_shopping_rate", "Người dân mua sắm trực tuyến",
                 "People shopping online", "economy", "%", "observed", _REPORT),
)

BY_CODE = {indicator.code: indicator for indicator in CATALOG}


def indicator(code: str) -> IndicatorDef:
    """The catalog entry of `code`; KeyError names the unknown code."""
    try:
        return BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown indicator {code!r}") from None
