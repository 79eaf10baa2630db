"""Charts: valid PNGs of the expected size, well under Discord's attachment limit; matplotlib loaded lazily."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

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


def test_matplotlib_never_enters_the_bot_process_charts_come_from_the_worker() -> None:
    code = (
        "import asyncio, sys; import bot.services, bot.stats.charts, cogs.stats, cogs.privacy; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported early'; "
        "from datetime import date; from bot.stats import charts, offload; "
        "from bot.stats.heatmap import heatmap_cells; "
        "png = asyncio.run(offload.draw(charts.heatmap_png, heatmap_cells({}, date(2026, 1, 1)), 'x')); "
        "assert png.startswith(b'\\x89PNG'), png[:8]; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib loaded in the bot process'; print('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


async def test_a_dead_chart_worker_is_replaced() -> None:
    from bot.stats import offload

    heat = heatmap_cells({}, date(2026, 11, 26))
    assert (await offload.draw(charts.heatmap_png, heat, "first")).startswith(PNG_MAGIC)
    for process in list(offload._painter()._processes.values()):  # the worker, killed as by the OOM killer
        process.kill()
        process.join()
    assert (await offload.draw(charts.heatmap_png, heat, "again")).startswith(PNG_MAGIC)


def test_the_chart_worker_dies_with_the_bot_even_after_a_sigkill() -> None:
    code = (
        "import asyncio, os, sys, time; from datetime import date; from bot.stats import charts, offload; "
        "from bot.stats.heatmap import heatmap_cells; "
        "asyncio.run(offload.draw(charts.heatmap_png, heatmap_cells({}, date(2026, 1, 1)), 'x')); "
        "print(*[p.pid for p in offload._painter()._processes.values()], flush=True); time.sleep(60)"
    )
    bot = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert bot.stdout is not None
    worker = int(bot.stdout.readline())
    bot.kill()
    bot.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(worker):
        time.sleep(0.1)
    assert not _alive(worker), "the chart worker outlived the bot"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
