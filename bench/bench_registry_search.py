"""Registry search at a million persons: exact ID (keyed hash) and name prefix, on both databases.

Rows get real search hashes and masked IDs; the ciphertext column holds one real token for all
rows (search never decrypts, and encrypting a million values only slows the set-up).

    uv run python bench/bench_registry_search.py [--persons 1000000] [--backends sqlite postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def worker(persons: int, runs: int) -> dict[str, float]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangye.config.settings")
    django.setup()
    from django.core.management import call_command

    from chuangye.accounts.models import OrgUnit, User
    from chuangye.core import crypto
    from chuangye.demo import build_demo, fictitious_id
    from chuangye.programs.entrepreneurs.models import Person
    from chuangye.programs.entrepreneurs.selectors import search_persons

    call_command("migrate", verbosity=0)
    build_demo()
    rng = random.Random(7)
    districts = list(OrgUnit.objects.filter(kind__in=["county", "zone"]))
    token = crypto.encrypt("110105194912310021")
    start = time.perf_counter()
    numbers: list[str] = []
    batch: list[Person] = []
    for i in range(persons):
        birth = __import__("datetime").date(1960 + i % 45, 1 + i % 12, 1 + i % 28)
        number = fictitious_id(f"3710{i // 1000 % 100:02d}", birth, i % 1000)
        if i % 997 == 0:
            numbers.append(number)
        batch.append(
            Person(
                name=f"{SURNAMES[i % len(SURNAMES)]}某{i}",
                id_cipher=token,
                id_hash=crypto.search_hash(number),
                id_masked=crypto.mask_id(number),
                gender="M",
                birth_date=birth,
                district=districts[i % len(districts)],
            )
        )
        if len(batch) == 20000:
            Person.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Person.objects.bulk_create(batch, ignore_conflicts=True)
    build_s = time.perf_counter() - start
    user = User.objects.get(username="loan_officer")

    def timed(q: str) -> float:
        t = time.perf_counter()
        # As the registry page and the API list it: with each person's first support.
        list(search_persons(user, q).with_first_support()[:50])
        return time.perf_counter() - t

    by_id = [timed(rng.choice(numbers)) for _ in range(runs)]
    by_name = [timed(f"{rng.choice(SURNAMES)}某{rng.randint(1, persons)}"[:4]) for _ in range(runs)]
    return {
        "persons": Person.objects.count(),
        "build_s": build_s,
        "id_ms": statistics.median(by_id) * 1000,
        "name_ms": statistics.median(by_name) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.persons, args.runs)))
        return
    for backend in args.backends:
        env = {**os.environ, "CHUANGYE_DATA_DIR": tempfile.mkdtemp(prefix="bench-search-")}
        env.pop("DATABASE_URL", None)
        if backend == "postgres":
            subprocess.run(
                ["psql", PG_BASE + "/postgres", "-qc", "DROP DATABASE IF EXISTS chuangye_search"],
                check=True,
            )
            subprocess.run(
                ["psql", PG_BASE + "/postgres", "-qc", "CREATE DATABASE chuangye_search"],
                check=True,
            )
            env["DATABASE_URL"] = f"{PG_BASE}/chuangye_search"
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                "--persons",
                str(args.persons),
                "--runs",
                str(args.runs),
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            sys.stderr.write(out.stderr[-3000:])
            raise SystemExit(1)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{backend:<9} persons {result['persons']:>9,}  set-up {result['build_s']:.0f}s  "
            f"by ID (median) {result['id_ms']:.2f} ms  "
            f"by name prefix (median) {result['name_ms']:.2f} ms"
        )


if __name__ == "__main__":
    main()
