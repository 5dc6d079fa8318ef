"""status's cache of a big folder's checksums: used only while a file's stat is unchanged."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from helpers import MigrationsDir

from vfmigrate_magic.engine import files, summary_cache


@pytest.fixture
def big(monkeypatch, migrations_dir: MigrationsDir) -> MigrationsDir:
    """A folder counted as big (3 files), whose files are kept however new they are."""
    monkeypatch.setattr(summary_cache, "MIN_FILES", 3)
    monkeypatch.setattr(summary_cache, "RACY_NS", 0)
    for n in range(1, 5):
        migrations_dir.add(f"{n:03d}_t{n}.sql", f"CREATE TABLE t{n} (x);", f"DROP TABLE t{n};")
    # A file's change time moves by the kernel's clock tick: let it tick past them.
    time.sleep(0.05)
    return migrations_dir


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The names of the files summarize reads."""
    seen: list[str] = []
    real = files._summary

    def counting(path, filename, version, name):
        seen.append(filename)
        return real(path, filename, version, name)

    monkeypatch.setattr(files, "_summary", counting)
    return seen


def kept(folder) -> dict:
    path = summary_cache.cache_file(os.path.realpath(folder))
    return summary_cache.load(path, os.path.realpath(folder))


def test_a_big_folder_is_read_once_and_then_answered_from_the_cache(big, reads):
    first = files.summarize(big)
    assert len(reads) == 4 and sorted(kept(big)) == [f"{n:03d}_t{n}.sql" for n in range(1, 5)]
    reads.clear()
    assert files.summarize(big) == first == files.summarize(big, cache=False)[:4]
    assert reads == ["001_t1.sql", "002_t2.sql", "003_t3.sql", "004_t4.sql"]  # only the cache=False call


def test_an_edit_that_keeps_size_and_modification_time_is_still_read_again(big, reads):
    before = files.summarize(big)
    file = big.path / "002_t2.sql"
    st = file.stat()
    file.write_text(file.read_text().replace("t2 (x)", "t2 (y)"))  # same size
    os.utime(file, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old modification time
    assert file.stat().st_size == st.st_size and file.stat().st_mtime_ns == st.st_mtime_ns
    reads.clear()
    after = files.summarize(big)
    assert reads == ["002_t2.sql"]  # its change time moved: no tool can set that back
    assert after[1][2] != before[1][2] and after == files.summarize(big, cache=False)


def test_status_reports_a_modified_migration_after_the_cache_was_written(big, run):
    assert run("up")[0] == 0
    assert "modified" not in run("status")[1]
    file = big.path / "003_t3.sql"
    st = file.stat()
    file.write_text(file.read_text().replace("t3 (x)", "t3 (z)"))
    os.utime(file, ns=(st.st_atime_ns, st.st_mtime_ns))
    code, out, _ = run("status")
    assert code == 0
    assert [line.split()[1] for line in out.splitlines() if " modified " in line] == ["003"]
    assert "1 modified" in out


def test_files_changed_in_the_last_two_seconds_are_not_kept(monkeypatch, big, reads):
    monkeypatch.setattr(summary_cache, "RACY_NS", 2_000_000_000)
    files.summarize(big)
    files.summarize(big)
    assert len(reads) == 8  # read both times
    assert summary_cache.cache_file(os.path.realpath(big)) is not None
    assert not Path(summary_cache.cache_file(os.path.realpath(big))).exists()  # nothing worth writing


def test_new_and_removed_files_update_the_cache(big, reads):
    files.summarize(big)
    (big.path / "001_t1.sql").unlink()
    big.add("005_t5.sql", "CREATE TABLE t5 (x);", "DROP TABLE t5;")
    time.sleep(0.05)
    reads.clear()
    out = files.summarize(big)
    assert reads == ["005_t5.sql"]
    assert [v for v, *_ in out] == [2, 3, 4, 5] and sorted(kept(big)) == [f"{n:03d}_t{n}.sql" for n in range(2, 6)]


@pytest.mark.parametrize("content", [b"", b"not a cache at all", b"\xe9\x00\x01garbage"])
def test_an_unreadable_cache_is_ignored_and_replaced(big, reads, content):
    first = files.summarize(big)
    Path(summary_cache.cache_file(os.path.realpath(big))).write_bytes(content)
    reads.clear()
    assert files.summarize(big) == first and len(reads) == 4
    assert len(kept(big)) == 4


def test_a_cache_of_another_folder_or_format_is_not_used(monkeypatch, big, reads, tmp_path):
    files.summarize(big)
    monkeypatch.setattr(summary_cache, "FORMAT", summary_cache.FORMAT + ("later",))
    reads.clear()
    files.summarize(big)
    assert len(reads) == 4
    # The same file name under another folder's cache is not taken for this folder's.
    other = tmp_path / "other"
    other.mkdir()
    for file in big.path.iterdir():
        (other / file.name).write_bytes(file.read_bytes())
    os.replace(summary_cache.cache_file(os.path.realpath(big)), summary_cache.cache_file(os.path.realpath(other)))
    assert kept(other) == {}


def test_a_cache_folder_that_cannot_be_written_is_not_an_error(monkeypatch, big, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("VFMIGRATE_CACHE_DIR", str(blocker / "cache"))  # under a file: mkdir fails
    assert files.summarize(big) == files.summarize(big, cache=False)
    assert not list(tmp_path.glob("**/*.tmp"))


def test_no_cache_is_written_when_turned_off_or_for_a_small_folder(monkeypatch, big, reads, tmp_path):
    monkeypatch.setenv("VFMIGRATE_NO_CACHE", "1")
    assert summary_cache.cache_file(os.path.realpath(big)) is None
    files.summarize(big)
    files.summarize(big)
    assert len(reads) == 8
    monkeypatch.delenv("VFMIGRATE_NO_CACHE")
    monkeypatch.setattr(summary_cache, "MIN_FILES", 5)  # the folder has 4 files
    files.summarize(big)
    assert not (tmp_path / "summary-cache").exists()


def test_threads_summarizing_at_once_agree_and_leave_a_readable_cache(big):
    from concurrent.futures import ThreadPoolExecutor

    expected = files.summarize(big, cache=False)
    path = Path(summary_cache.cache_file(os.path.realpath(big)))

    def once(_):
        path.unlink(missing_ok=True)  # each call then writes the cache again
        return files.summarize(big)

    with ThreadPoolExecutor(4) as pool:
        assert all(got == expected for got in pool.map(once, range(40)))
    files.summarize(big)
    assert len(kept(big)) == 4 and not list(path.parent.glob("*.tmp"))


def test_a_cache_file_of_another_user_is_not_trusted(monkeypatch, big, reads):
    files.summarize(big)
    # The file is this user's; as seen by another user (a shared VFMIGRATE_CACHE_DIR) it is not trusted.
    monkeypatch.setattr(summary_cache, "_OWN_UID", os.stat(summary_cache.cache_file(os.path.realpath(big))).st_uid + 1)
    reads.clear()
    files.summarize(big)
    assert len(reads) == 4  # read again, not taken from the other user's file


@pytest.mark.parametrize(("value", "off"), [("1", True), ("yes", True), ("0", False), ("false", False), (" OFF ", False), ("", False), ("  ", False)])
def test_vfmigrate_no_cache_reads_like_the_other_switches(monkeypatch, value, off):
    monkeypatch.setenv("VFMIGRATE_NO_CACHE", value)
    assert (summary_cache.cache_file("migrations") is None) is off
