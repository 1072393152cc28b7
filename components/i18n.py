"""Interface text in Vietnamese (primary) and English.

One table, keyed by a short message id; `t(key, lang)` falls back to
Vietnamese so a missing English string never shows a raw key.
"""
from __future__ import annotations

LANGS = ("vi", "en")

TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("Trung tâm điều hành đô thị thông minh", "Smart City Operations Centre"),
    "app.short": ("IOC", "IOC"),
    "shell.login": ("Đăng nhập", "Sign in"),
    "shell.logout": ("Đăng xuất", "Sign out"),
    "shell.city": ("Thành phố", "City"),
    "shell.language": ("Ngôn ngữ", "Language"),
    "shell.theme": ("Giao diện", "Theme"),
    "shell.theme.light": ("Sáng", "Light"),
    "shell.theme.dark": ("Tối", "Dark"),
    "shell.as_of": ("Dữ liệu cập nhật đến", "Data as of"),
    "shell.no_data_time": ("chưa có dữ liệu", "no data yet"),
    "shell.demo": ("Dữ liệu minh họa (demo), hiệu chỉnh theo số liệu đã công bố năm 2022.",
                   "Demo data, calibrated to the figures published for 2022."),
    "shell.db_unavailable": ("Không đọc được cơ sở dữ liệu", "The database cannot be read"),
    "shell.db_hint": ("Chạy `python manage.py demo` để tạo dữ liệu minh họa, hoặc kiểm tra IOC_DATABASE_URL / KPI_DATABASE_URL.",
                      "Run `python manage.py demo` to build the demo data, or check IOC_DATABASE_URL / KPI_DATABASE_URL."),
    "shell.unknown_city": ("Không có dữ liệu cho thành phố", "No data for city"),
    "page.overview": ("Tổng quan", "Overview"),
    "page.not_found": ("Không tìm thấy trang", "Page not found"),
    "not_found.body": ("Trang bạn tìm không tồn tại hoặc đã được chuyển đi.",
                       "The page you asked for does not exist or has moved."),
    "not_found.home": ("Về trang tổng quan", "Back to the overview"),
    "overview.heading": ("Tổng quan đô thị thông minh", "Smart city overview"),
    "overview.year": ("Năm", "Year"),
    "overview.bad_year": ("Năm không hợp lệ trong địa chỉ; đang hiển thị năm", "Invalid year in the address; showing"),
    "overview.map_title": ("Mật độ camera an ninh theo phường, xã", "Security cameras per km² by ward"),
    "overview.map_unit": ("camera/km²", "cameras/km²"),
    "overview.schematic": ("Ranh giới phường, xã là sơ đồ minh họa cho đến khi nhập ranh giới thật.",
                           "Ward boundaries are schematic until real boundaries are imported."),
    "pillar.governance": ("Chính quyền số", "Smart governance"),
    "pillar.living": ("Đời sống thông minh", "Smart living"),
    "pillar.environment": ("Môi trường thông minh", "Smart environment"),
    "pillar.economy": ("Kinh tế số", "Smart economy"),
    "page.map": ("Bản đồ", "Map"),
    "map.heading": ("Bản đồ camera, điểm truy cập và phường, xã", "Cameras, access points and wards"),
    "map.layers": ("Lớp bản đồ", "Layers"),
    "map.layer.wards": ("Phường, xã (tô màu)", "Wards (choropleth)"),
    "map.layer.security": ("Camera an ninh", "Security cameras"),
    "map.layer.traffic": ("Camera giao thông", "Traffic cameras"),
    "map.layer.wifi": ("Điểm truy cập Internet", "Internet access points"),
    "map.layer.key_locations": ("Điểm trọng yếu", "Key locations"),
    "map.layer.incidents": ("Sự cố đang mở", "Open incidents"),
    "map.layer.sensors": ("Trạm quan trắc", "Monitoring stations"),
    "map.metric": ("Chỉ số tô màu", "Colour wards by"),
    "map.metric.camera_density": ("Camera an ninh/km²", "Security cameras per km²"),
    "map.metric.ap_per_1000_households": ("Điểm truy cập/1.000 hộ", "Access points per 1,000 households"),
    "map.metric.key_location_coverage": ("% điểm trọng yếu có camera", "% key locations with cameras"),
    "map.metric.online_dossier_rate": ("% hồ sơ nộp trực tuyến", "% dossiers submitted online"),
    "map.metric.open_incidents": ("Sự cố đang mở", "Open incidents"),
    "map.camera_status": ("Trạng thái camera", "Camera status"),
    "map.owner": ("Chủ sở hữu camera", "Camera owner"),
    "map.provider": ("Nhà mạng", "Provider"),
    "map.ap_kind": ("Loại điểm truy cập", "Access point kind"),
    "map.ward_search": ("Tìm phường, xã...", "Find a ward..."),
    "map.ignored": ("Bỏ qua giá trị không hợp lệ trong địa chỉ", "Ignored invalid values in the address"),
    "map.no_data": ("Không có dữ liệu", "No data"),
    "map.click_ward": ("Chọn một phường, xã trên bản đồ hoặc ô tìm kiếm để xem số liệu.",
                       "Click a ward on the map or search for one to see its figures."),
    "map.key_covered": ("Điểm trọng yếu đã có camera", "Key location with a camera"),
    "map.key_uncovered": ("Điểm trọng yếu chưa có camera", "Key location without a camera"),
    "map.shown": ("Đang hiển thị", "Showing"),
    "map.open_ward": ("Mở trang phường, xã", "Open the ward page"),
    "status.online": ("Hoạt động", "Online"), "status.offline": ("Mất kết nối", "Offline"),
    "status.maintenance": ("Bảo trì", "Maintenance"),
    "owner.city": ("Thành phố đầu tư", "City"), "owner.socialised": ("Xã hội hóa", "Socialised"),
    "ap.free_wifi": ("Wifi miễn phí", "Free wifi"), "ap.public_internet_point": ("Điểm Internet công cộng", "Public internet point"),
    "ward.population": ("Dân số", "Population"), "ward.households": ("Số hộ", "Households"),
    "ward.area": ("Diện tích", "Area"), "ward.cameras": ("Camera an ninh", "Security cameras"),
    "ward.access_points": ("Điểm truy cập", "Access points"),
    "ward.key_coverage": ("Điểm trọng yếu có camera", "Key locations with cameras"),
    "ward.open_incidents": ("Sự cố đang mở", "Open incidents"),
    "ward.online_rate": ("Hồ sơ nộp trực tuyến", "Dossiers submitted online"),
    "ward.unknown": ("Không có phường, xã với mã", "No ward with code"),
    "ward.indicator": ("Chỉ tiêu", "Indicator"), "ward.city": ("Toàn thành phố", "Whole city"),
    "ward.compare": ("So với toàn thành phố, năm", "Compared with the city,"),
    "ward.reports": ("Phản ánh, kiến nghị (12 tháng)", "Citizen reports (12 months)"),
    "reports.received": ("Tiếp nhận", "Received"), "reports.answered": ("Đã trả lời", "Answered"),
    "reports.answered_late": ("Trả lời quá hạn", "Answered late"), "reports.open": ("Đang xử lý", "Open"),
    "reports.overdue": ("Quá hạn chưa trả lời", "Overdue"),
    "incident.reported_at": ("Tiếp nhận", "Reported"), "incident.category": ("Loại", "Category"),
    "incident.severity": ("Mức độ", "Severity"), "incident.status": ("Trạng thái", "Status"),
    "incident.summary": ("Nội dung", "Summary"),
    "page.services": ("Dịch vụ công", "Public services"),
    "services.heading": ("Dịch vụ công trực tuyến (Quyết định 766/QĐ-TTg)", "Public services (Decision 766/QĐ-TTg)"),
    "services.by_ward": ("Theo phường, xã", "By ward"),
    "services.top_bottom": ("5 phường, xã cao nhất và thấp nhất: hồ sơ đúng hạn", "Top and bottom 5 wards: on-time dossiers"),
    "services.on_time": ("Đúng hạn", "On time"), "services.received": ("Hồ sơ tiếp nhận", "Dossiers received"),
    "services.monthly": ("Hồ sơ theo tháng, năm", "Dossiers by month,"),
    "services.col.ward": ("Phường, xã", "Ward"), "services.col.dossiers": ("Hồ sơ", "Dossiers"),
    "services.col.online_rate": ("% trực tuyến", "% online"), "services.col.on_time_rate": ("% đúng hạn", "% on time"),
    "services.col.digitised_rate": ("% số hóa", "% digitised"), "services.col.level3": ("Mức độ 3", "Level 3"),
    "services.col.level4": ("Mức độ 4", "Level 4"),
    "services.per_month": ("hồ sơ/tháng và % đúng hạn", "dossiers per month and % on time"),
    "targets.heading": ("Mục tiêu đô thị thông minh 2025 và 2030", "Smart-city targets for 2025 and 2030"),
    "targets.rule": ("Quy tắc: xu hướng là đường bình phương tối thiểu qua các giá trị hằng năm, kéo đến năm mục tiêu. "
                     "Đúng tiến độ khi xu hướng đạt mục tiêu; có nguy cơ khi thiếu không quá {margin}% giá trị mục tiêu; "
                     "chậm tiến độ khi thiếu nhiều hơn. Chỉ có một giá trị thì dùng giá trị hiện tại. "
                     "Mục tiêu đã đến hạn được đánh giá theo số liệu thực tế của năm mục tiêu: chưa đạt là chậm tiến độ.",
                     "Rule: the trend is the least-squares line through the yearly values, extended to the target year. "
                     "On track when the trend reaches the target; at risk when it falls short by at most {margin}% of "
                     "the target; off track beyond that. With a single value, the current value is used. "
                     "A target whose year has passed is judged on that year's actual value: not reached is off track."),
    "targets.reached": ("✔ đã đạt", "✔ reached"),
    "targets.none": ("Thành phố chưa có mục tiêu nào.", "This city has no targets yet."),
    "targets.col.indicator": ("Chỉ tiêu", "Indicator"), "targets.col.current": ("Hiện tại", "Current"),
    "targets.col.target": ("Mục tiêu", "Target"), "targets.col.gap": ("Còn thiếu", "Gap"),
    "targets.col.projected": ("Xu hướng đến năm mục tiêu", "Trend at target year"),
    "targets.col.status": ("Đánh giá", "Status"), "targets.col.trend": ("Diễn biến", "Trend"),
    "status.on_track": ("Đúng tiến độ", "On track"), "status.at_risk": ("Có nguy cơ", "At risk"),
    "status.off_track": ("Chậm tiến độ", "Off track"), "status.no_data": ("Chưa có dữ liệu", "No data"),
    "digital.heading": ("Chuyển đổi số", "Digital transformation"),
    "digital.connectivity": ("Hạ tầng kết nối", "Connectivity"),
    "digital.government": ("Chính quyền số: văn bản, họp, thư công vụ", "Digital government: documents, meetings, e-mail"),
    "digital.citizens": ("Người dân và dịch vụ số", "Citizens and digital services"),
    "digital.by_unit": ("Văn bản điện tử theo cơ quan, đơn vị", "E-documents by agency"),
    "digital.col.unit": ("Cơ quan, đơn vị", "Agency"), "digital.col.sent": ("Văn bản gửi", "Sent"),
    "digital.col.signed": ("Ký số đủ", "Fully signed"), "digital.col.signed_rate": ("% ký số", "% signed"),
    "period.to": ("đến", "to"),
    "period.year": ("Năm", "Year"), "period.quarter": ("Quý", "Quarter"), "period.month": ("Tháng", "Month"),
    "compare.previous": ("Kỳ trước", "Previous period"), "compare.last_year": ("Cùng kỳ năm trước", "Same period last year"),
    "card.vs": ("so với", "vs"),
    "card.full_score": ("Điểm tối đa khi", "Full score at"),
    "card.vs_last_year": ("so với năm trước", "vs last year"),
    "card.target": ("Mục tiêu", "Target"),
    "card.no_target": ("Chưa có mục tiêu", "No target set"),
    "card.no_data": ("Chưa có dữ liệu", "No data"),
    "card.source": ("Nguồn", "Source"),
    "card.code": ("Mã chỉ tiêu", "Indicator"),
    "card.progress": ("tiến độ", "progress"),
    "chart.source": ("Nguồn", "Source"),
    "chart.updated": ("cập nhật", "updated"),
    "chart.dossiers.title": ("Hồ sơ trực tuyến mức độ 3 và 4", "Level-3 and level-4 online dossiers"),
    "chart.dossiers.unit": ("hồ sơ/năm", "dossiers per year"),
    "chart.assets.title": ("Camera an ninh và điểm truy cập Internet công cộng",
                           "Security cameras and public internet access points"),
    "chart.assets.unit": ("số lượng cuối năm", "count at year end"),
    "chart.rates.title": ("Số hóa hồ sơ, ký số văn bản, họp không giấy", "Digitised dossiers, signed documents, e-meetings"),
    "chart.rates.unit": ("%", "%"),
    "chart.level3": ("Mức độ 3", "Level 3"),
    "chart.level4": ("Mức độ 4", "Level 4"),
    "chart.target_2025": ("Mục tiêu 2025", "2025 target"),
    "chart.partial_year": ("năm {year}: đến {date}", "{year}: to {date}"),
    "source.raw": ("bản ghi gốc CSDL KPI/IOC", "raw records, KPI/IOC databases"),
}


def normalise_lang(lang: str | None) -> str:
    return lang if lang in LANGS else "vi"


def t(key: str, lang: str | None = "vi") -> str:
    """The text of `key` in `lang` (Vietnamese when the language is unknown)."""
    vi, en = TEXT[key]
    return en if normalise_lang(lang) == "en" else vi


def name_of(item, lang: str | None) -> str:
    """A catalog item's name in the language (items have name_vi / name_en)."""
    return item.name_en if normalise_lang(lang) == "en" else item.name_vi


SOURCE_EN = {
    "Tính từ bản ghi gốc (CSDL KPI/IOC)": "Computed from raw records (KPI/IOC databases)",
    "Tính từ CSDL IOC": "Computed from the IOC database",
    "Báo cáo của UBND thành phố": "City People's Committee report",
    "Dữ liệu minh họa (demo)": "Demo data",
}


def source_label(source: str, lang: str | None) -> str:
    """A source line in the language; titles of publications stay as published."""
    if normalise_lang(lang) == "en":
        return SOURCE_EN.get(source, source)
    return source
