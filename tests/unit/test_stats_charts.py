"""Charts: valid PNGs of the expected size, well under Discord's attachment limit; matplotlib loaded lazily."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date

from PIL import Image

from bot.privacy.service import ATTACHMENT_LIMIT
from bot.stats import charts
from bot.stats.heatmap import heatmap_cells
from bot.stats.results import WeekBar

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _image(data: bytes) -> Image.Image:
    assert data.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(data))
    image.verify()
    return Image.open(io.BytesIO(data))


def test_heatmap_png() -> None:
    today = date(2026, 11, 26)
    heat = heatmap_cells({date(2026, 11, 23): 75, date(2026, 10, 1): 600}, today)
    data = charts.heatmap_png(heat, "Focus, last 12 weeks (Europe/Berlin)")
    image = _image(data)
    assert image.size == (800, 320)
    assert len(data) < 200_000 < ATTACHMENT_LIMIT


def test_weekly_and_compare_png() -> None:
    weeks = [WeekBar(f"{i} Sep", float(i)) for i in range(12)]
    assert _image(charts.weekly_png(weeks, "Circle", target_hours=6)).size == (800, 320)
    assert _image(charts.compare_png((60, 0, 30, 0, 0, 0, 0), (0,) * 7, "Digest")).size == (800, 300)


def test_an_empty_heatmap_still_draws() -> None:
    assert _image(charts.heatmap_png(heatmap_cells({}, date(2026, 11, 26)), "Nothing yet")).size == (800, 320)


def test_matplotlib_is_not_imported_until_the_first_chart() -> None:
    code = (
        "import sys; import bot.services, bot.stats.charts, cogs.stats, cogs.privacy; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported early'; "
        "from datetime import date; from bot.stats.heatmap import heatmap_cells; "
        "bot.stats.charts.heatmap_png(heatmap_cells({}, date(2026, 1, 1)), 'x'); "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
