"""Install the Debian packages a make target needs, when they are missing.

python3 scripts/sysdeps.py chromium ffmpeg npm nginx wrk
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# package -> the command that shows it is installed
COMMANDS = {
    "chromium": "chromium",
    "ffmpeg": "ffmpeg",
    "npm": "npm",
    "nginx": "nginx",
    "wrk": "wrk",
}
EXTRA_PATHS = ("/usr/sbin", "/sbin")


def installed(command: str) -> bool:
    path = os.pathsep.join([os.environ.get("PATH", ""), *EXTRA_PATHS])
    return shutil.which(command, path=path) is not None


def main(packages: list[str]) -> int:
    missing = [p for p in packages if not installed(COMMANDS.get(p, p))]
    if not missing:
        return 0
    if os.geteuid() != 0:
        print(f"sysdeps: missing {' '.join(missing)}; install them with apt-get (needs root)")
        return 0
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print(f"sysdeps: installing {' '.join(missing)}", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
