"""Fuzzing with the sample exports (issue 10, "Done when"): byte flips, truncation, broken XML in a
valid zip, far cell references and huge numbers as dates. Every case ends in a load or a
Vietnamese refusal (IngestError naming the file), with the database unchanged on refusal, no
traceback, under a memory cap.

The cases run in a worker subprocess whose address space is capped (RLIMIT_AS): a case that made
a reader allocate gigabytes would abort that process (no Python exception can stop an abort), and
the test names the case it was on. Seeded; bounded to about a minute.
"""
from __future__ import annotations

import io
import json
import random
import re
import resource
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "sample_data").glob("2023-0[3-6]*"))   # VNPT .xlsx and the .csv
SEED = 20261130
WORKER_SECONDS = 40.0
MEMORY_CAP = 3 * 2**30
FAR_REFS = ["XFD1048576", "CV1048576", "A1048576", "ZZZZZZ99999999999", "GZ5", "A0", "AAAA1"]
HUGE_DATES = ["1e308", "1e400", "-1", "99999999", "2958466", "INF", "NaN", "-0.5", "1e-300"]

WORKER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from cchc_metrics.db import connect
    from cchc_metrics.errors import IngestError
    from cchc_metrics.ingest import ingest_file

    folder, deadline = Path(sys.argv[1]), time.monotonic() + float(sys.argv[2])
    con = connect(folder / "fuzz.duckdb")
    ingest_file(con, (folder / "base").read_bytes(), "base.xlsx")

    def state():
        return [con.execute(f"SELECT count(*), bit_xor(hash({t})) FROM {t}").fetchone()
                for t in ("uploads", "dossier_versions", "dossiers", "rejected_rows")]

    for case in sorted(folder.glob("case-*[0-9]"), key=lambda p: int(p.name.split("-")[1])):
        if time.monotonic() > deadline:
            break
        info = json.loads((folder / (case.name + ".json")).read_text())
        print(json.dumps({"start": case.name}), flush=True)
        before, outcome = state(), {"case": case.name}
        try:
            ingest_file(con, case.read_bytes(), info["name"], skip_invalid=info["skip_invalid"])
            outcome["result"] = "loaded"
        except IngestError as error:
            outcome.update(result="refused", message=str(error), unchanged=state() == before)
        except BaseException as exc:             # a bug: any other ending
            outcome["result"] = f"{type(exc).__name__}: {exc}"
        print(json.dumps(outcome, ensure_ascii=False), flush=True)
""")


def rezip(data: bytes, change) -> bytes:
    """The workbook with `change(name, bytes)` applied to each part (a valid zip again)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def is_sheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def mutate_xlsx(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    kind = rng.choice(["flip", "truncate", "broken_xml", "far_ref", "far_ref", "huge_date", "huge_date"])
    if kind == "flip":
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        return bytes(flipped), kind
    if kind == "truncate":
        return data[: rng.randrange(len(data))], kind
    if kind == "broken_xml":
        def change(name, xml):
            if not (is_sheet(name) or name in ("xl/sharedStrings.xml", "xl/workbook.xml")) or rng.random() < 0.5:
                return xml
            at = rng.randrange(len(xml))
            return rng.choice([xml[:at], xml[:at] + b"<" + xml[at:], xml[:at] + xml[at + rng.randint(1, 400):],
                               xml[:at] + b"</row></sheetData>" + xml[at:], xml.replace(b"<v>", b"<v>&bad;", 1)])
        return rezip(data, change), kind
    if kind == "far_ref":
        far = rng.choice(FAR_REFS)

        def change(name, xml):
            if not is_sheet(name):
                return xml
            refs = list(re.finditer(rb' r="[A-Z]+\d+"', xml))
            hit = rng.choice(refs)
            return xml[: hit.start()] + f' r="{far}"'.encode() + xml[hit.end():]
        return rezip(data, change), f"{kind} {far}"
    huge = rng.choice(HUGE_DATES)

    def change(name, xml):
        if not is_sheet(name):
            return xml
        numbers = list(re.finditer(rb"<v>(\d+(\.\d+)?)</v>", xml))
        for hit in rng.sample(numbers, min(len(numbers), rng.randint(1, 5)))[::-1]:
            xml = xml[: hit.start(1)] + huge.encode() + xml[hit.end(1):]
        return xml
    return rezip(data, change), f"{kind} {huge}"


def mutate_csv(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    kind = rng.choice(["flip", "truncate", "stray_quote", "huge_date"])
    if kind == "flip":
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        return bytes(flipped), kind
    if kind == "truncate":
        return data[: rng.randrange(len(data))], kind
    if kind == "stray_quote":
        at = rng.randrange(len(data))
        return data[:at] + b'"' + data[at:], kind
    huge = rng.choice(HUGE_DATES).encode()
    return re.sub(rb"\d\d/\d\d/20\d\d", lambda m: huge if rng.random() < 0.01 else m.group(0), data), kind


def test_mutated_sample_exports_load_or_are_refused_cleanly(tmp_path):
    rng = random.Random(SEED)
    (tmp_path / "base").write_bytes((ROOT / "sample_data" / "2023-01_bao-cao-ho-so_vnpt.xlsx").read_bytes())
    kinds = {}
    for number in range(160):                    # about what the worker has time for
        source = rng.choice(SAMPLES)
        case_rng = random.Random(rng.randrange(2**32))
        mutate = mutate_csv if source.suffix == ".csv" else mutate_xlsx
        data, kind = mutate(source.read_bytes(), case_rng)
        (tmp_path / f"case-{number}").write_bytes(data)
        (tmp_path / f"case-{number}.json").write_text(json.dumps(
            {"name": f"fuzz-{number}{source.suffix}", "skip_invalid": case_rng.random() < 0.5}))
        kinds[f"case-{number}"] = f"{source.name}: {kind}"

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    done = subprocess.run([sys.executable, "-c", WORKER, str(tmp_path), str(WORKER_SECONDS)], cwd=ROOT,
                          capture_output=True, text=True, timeout=WORKER_SECONDS + 60, preexec_fn=cap)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    started = [line["start"] for line in lines if "start" in line]
    assert done.returncode == 0, (f"the worker died (exit {done.returncode}) on {started[-1] if started else '?'}"
                                  f" = {kinds.get(started[-1]) if started else ''}", done.stderr[-3000:])
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    outcomes = [line for line in lines if "case" in line]
    assert len(outcomes) >= 20, len(outcomes)
    for outcome in outcomes:
        name, why = outcome["case"], kinds[outcome["case"]]
        assert outcome["result"] in ("loaded", "refused"), (name, why, outcome["result"])
        if outcome["result"] == "refused":
            number = name.split("-")[1]
            assert outcome["message"].startswith(f"Tệp «fuzz-{number}."), (name, why, outcome["message"])
            assert outcome["unchanged"], (name, why, outcome["message"])
    refusals = sum(o["result"] == "refused" for o in outcomes)
    assert 0 < refusals < len(outcomes), refusals     # the mutations reach both endings
