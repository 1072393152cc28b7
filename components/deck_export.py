"""A deck as a PDF (title page, then one landscape page per slide, page numbers) and a
slide as a PNG, made on the server without a display.

Charts: Plotly figures are rendered to SVG by kaleido (headless Chromium; it finds
Debian's /usr/bin/chromium on PATH, or the browser named by BROWSER_PATH) and drawn into
the PDF as vectors by svglib, so chart text stays text. Titles, periods, units, sources,
tables and page numbers are PDF text in DejaVu Sans (Vietnamese diacritics), selectable
and searchable.
"""
from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path

from components.deck import Slide, styled, table_figure
from domain.city_time import utc_now
from domain.formatting import format_date, format_period
from domain.i18n import t

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts"), Path("/Library/Fonts"))
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
# Family names Plotly writes into its SVG; all drawn with DejaVu Sans so Vietnamese shows.
SVG_FAMILIES = ("Inter", "Segoe UI", "Roboto", "Arial", "sans-serif", "Open Sans", "verdana")
PNG_SIZE = (1600, 900)
_kaleido_lock = threading.Lock()
_fonts_ready = False


class ExportError(RuntimeError):
    """The file cannot be made here (no browser for charts, no font): the message says what is missing."""


def _font_path(name: str) -> Path:
    for folder in FONT_DIRS:
        candidate = folder / f"{name}.ttf"
        if candidate.exists():
            return candidate
    raise ExportError(f"font {name}.ttf not found in {', '.join(map(str, FONT_DIRS))}; "
                      "install fonts-dejavu-core (Debian) or DejaVu fonts")


def _register_fonts() -> None:
    global _fonts_ready
    if _fonts_ready:
        return
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from svglib import fonts as svg_fonts

    regular, bold = _font_path(FONT), _font_path(FONT_BOLD)
    pdfmetrics.registerFont(TTFont(FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
    for family in SVG_FAMILIES:
        svg_fonts.register_font(family, str(regular))
        svg_fonts.register_font(family, str(bold), weight="bold")
    _fonts_ready = True


@contextmanager
def _chart_renderer():
    """A function drawing one figure as SVG or PNG bytes, through one headless browser kept open
    for the whole export (starting it is most of a chart's cost). One export per process at a
    time: kaleido's server is per process, so exports run side by side as background jobs."""
    import kaleido
    import plotly.io as pio

    with _kaleido_lock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            kaleido.start_sync_server(silence_warnings=True)
        except Exception as exc:  # noqa: BLE001 - kaleido raises several kinds when no browser can start
            raise ExportError(f"charts need headless Chromium (kaleido): {exc}") from exc

        def render(figure, fmt: str, width: int, height: int, scale: float = 1.0) -> bytes:
            try:
                return pio.to_image(figure, format=fmt, width=width, height=height, scale=scale)
            except Exception as exc:  # noqa: BLE001 - same: report what the browser said
                raise ExportError(f"a chart could not be drawn: {exc}") from exc

        try:
            yield render
        finally:
            kaleido.stop_sync_server(silence_warnings=True)


def render_images(figures: list, fmt: str, width: int, height: int, scale: float = 1.0) -> list[bytes]:
    """Each figure as SVG or PNG bytes, through one headless browser for the whole batch."""
    if not figures:
        return []
    with _chart_renderer() as render:
        return [render(figure, fmt, width, height, scale) for figure in figures]


def deck_pdf(slides: list[Slide], city_name: str, deck_name: str, period: str, lang: str,
             created: datetime | None = None, progress: Callable[[int, int], None] | None = None) -> bytes:
    """Title page plus one A4-landscape page per slide, numbered 'Trang n/N'; `progress(n, N)`
    is called as each slide is done (a background export shows it)."""
    _register_fonts()
    created = created or utc_now()
    period = format_period(period, lang)  # a key ('2022-Q3') is written for people ('Quý 3/2022')
    charts = any(slide.figure is not None for slide in slides)
    with _chart_renderer() if charts else nullcontext(None) as render:
        return _deck_pages(slides, city_name, deck_name, period, lang, created, render, progress or _no_progress)


def _no_progress(_done: int, _total: int) -> None:
    return None


def _deck_pages(slides, city_name, deck_name, period, lang, created, render, progress) -> bytes:
    from reportlab.graphics import renderPDF
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas
    from svglib.svglib import svg2rlg

    width, height = landscape(A4)
    margin = 36
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=1)
    pdf.setTitle(f"{deck_name} – {city_name} – {period}")
    pdf.setAuthor("IOC")
    total = len(slides) + 1

    def footer(number: int) -> None:
        pdf.setFont(FONT, 9)
        pdf.setFillColor(colors.HexColor("#5b6472"))
        pdf.drawString(margin, 20, f"{city_name} · {t('deck.period', lang)} {period} · {deck_name}")
        pdf.drawRightString(width - margin, 20, f"{t('deck.page', lang)} {number}/{total}")

    pdf.setFillColor(colors.HexColor("#0f2a4a"))
    pdf.rect(0, height - 160, width, 160, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    pdf.setFont(FONT_BOLD, 30)
    pdf.drawString(margin + 10, height - 90, city_name)
    pdf.setFont(FONT, 16)
    pdf.drawString(margin + 10, height - 125, t("app.title", lang))
    pdf.setFillColor(colors.HexColor("#1b2430"))
    lines = [(FONT_BOLD, 22, f"{t('deck.title_page', lang)}: {deck_name}"),
             (FONT, 16, f"{t('deck.period', lang)}: {period}"),
             (FONT, 16, f"{t('deck.created', lang)}: {format_date(created, lang)}"),
             (FONT, 16, f"{t('deck.slides_count', lang)}: {len(slides)}")]
    y = height - 230
    for font, size, text in lines:
        pdf.setFont(font, size)
        pdf.drawString(margin + 10, y, text)
        y -= size + 14
    pdf.setFont(FONT, 12)
    per_column = max(1, int((y - 50) // 18))
    for index, slide in enumerate(slides):
        column, row = divmod(index, per_column)
        text = f"{index + 1}. {slide.title}"
        pdf.drawString(margin + 30 + column * (width - 2 * margin) / 2, y - row * 18,
                       text if len(text) <= 62 else text[:61] + "…")
    footer(1)
    pdf.showPage()

    progress(0, len(slides))
    for number, slide in enumerate(slides, start=2):
        pdf.setFillColor(colors.HexColor("#1b2430"))
        pdf.setFont(FONT_BOLD, 20)
        pdf.drawString(margin, height - 50, slide.title)
        pdf.setFont(FONT, 10.5)
        pdf.setFillColor(colors.HexColor("#37404d"))
        meta = [f"{t('deck.period', lang)}: {slide.period}", f"{t('deck.unit', lang)}: {slide.unit}",
                f"{t('deck.as_of', lang)}: {slide.as_of}"]
        pdf.drawString(margin, height - 70, "   ·   ".join(meta))
        source = f"{t('deck.source', lang)}: {slide.source}"
        pdf.drawString(margin, height - 85, source if len(source) <= 170 else source[:167] + "…")
        top, bottom = height - 100, 40
        if slide.figure is not None:
            drawing = svg2rlg(io.BytesIO(render(styled(slide.figure, lang, "print"), "svg", 1100, 560)))
            factor = min((width - 2 * margin) / drawing.width, (top - bottom) / drawing.height)
            drawing.width, drawing.height = drawing.width * factor, drawing.height * factor
            drawing.scale(factor, factor)
            renderPDF.draw(drawing, pdf, margin + ((width - 2 * margin) - drawing.width) / 2, bottom)
        else:
            _draw_table(pdf, slide, margin, top - 8, width - 2 * margin)
        footer(number)
        pdf.showPage()
        progress(number - 1, len(slides))
    pdf.save()
    return buffer.getvalue()


def _draw_table(pdf, slide: Slide, x: float, top: float, width: float) -> None:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    first = width * 0.46
    others = (width - first) / max(1, len(slide.header) - 1)
    table = Table([slide.header, *slide.rows], colWidths=[first] + [others] * (len(slide.header) - 1))
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 13), ("FONT", (0, 0), (-1, 0), FONT_BOLD, 13),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#0f2a4a")), ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f1f4f8")]),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#dde3ea")),
        ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
    ]))
    _w, table_height = table.wrapOn(pdf, width, top)
    table.drawOn(pdf, x, top - table_height)


def slide_png(slide: Slide, lang: str) -> bytes:
    """One slide as a 1600×900 PNG: its chart (or table) with title, period, unit, source and as-of."""
    figure = styled(slide.figure if slide.figure is not None else table_figure(slide), lang, "print")
    figure.update_layout(
        title={"text": f"<b>{slide.title}</b><br><sup>{t('deck.period', lang)}: {slide.period} · "
                       f"{t('deck.unit', lang)}: {slide.unit} · {t('deck.as_of', lang)}: {slide.as_of}</sup><br>"
                       f"<sup>{t('deck.source', lang)}: {slide.source[:150]}</sup>", "x": 0.02, "xanchor": "left",
               "font": {"size": 26}},
        margin={"l": 60, "r": 60, "t": 150, "b": 60})
    return render_images([figure], "png", *PNG_SIZE)[0]
