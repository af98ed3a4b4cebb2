"""The test settings themselves: what a test run leaves behind."""

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_throwaway_media_folder_goes_when_the_process_ends():
    shown = subprocess.run(
        [sys.executable, "-c",
         "import django; django.setup(); from django.conf import settings; "
         "(settings.MEDIA_ROOT / 'upload.txt').write_text('a worksheet'); "
         "print(settings.MEDIA_ROOT)"],
        cwd=REPOSITORY,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
             "PYTHONPATH": f"{REPOSITORY / 'site'}:{REPOSITORY}"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )  # fmt: skip
    folder = Path(shown.stdout.strip().splitlines()[-1])
    assert folder.name.startswith("staffroom-test-media-")
    assert not folder.exists()
