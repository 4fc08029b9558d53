import subprocess
import sys

from oncoresist import __version__
from oncoresist.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"oncoresist {__version__}"


def test_usage_error_exits_2(capsys):
    assert main(["no-such-command"]) == 2


def test_module_entry_point():
    done = subprocess.run([sys.executable, "-m", "oncoresist", "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert __version__ in done.stdout
