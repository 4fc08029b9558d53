import numpy as np
import pytest

from oncoresist._core import (
    InputError,
    Provenance,
    as_generator,
    atomic_output_dir,
    atomic_write,
    file_sha256,
    spawn_generators,
    spawn_seed_sequences,
)


def test_generator_passthrough_and_seed():
    gen = np.random.default_rng(3)
    assert as_generator(gen) is gen
    assert as_generator(5).random() == np.random.default_rng(5).random()


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True])
def test_bad_seed(bad):
    with pytest.raises(InputError, match="rng"):
        as_generator(bad)


def test_spawn_matches_numpy_seedsequence():
    ours = spawn_seed_sequences(11, 4)
    theirs = np.random.SeedSequence(11).spawn(4)
    assert [s.generate_state(2).tolist() for s in ours] == [s.generate_state(2).tolist() for s in theirs]
    gens = spawn_generators(11, 2)
    assert gens[0].random() != gens[1].random()


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    def fail():
        with atomic_write(target) as handle:
            handle.write("partial")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail()
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_output_dir(tmp_path):
    out = tmp_path / "run"
    def fail():
        with atomic_output_dir(out) as staging:
            (staging / "report.html").write_text("half")
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        fail()
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    with atomic_output_dir(out) as staging:
        (staging / "report.html").write_text("whole")
    assert (out / "report.html").read_text() == "whole"


def test_provenance_hashes_inputs(tmp_path):
    # SHA-256("abc") is the FIPS 180-2 test vector ba7816bf...
    path = tmp_path / "in.tsv"
    path.write_bytes(b"abc")
    assert file_sha256(path).startswith("ba7816bf8f01cfea414140de5dae2223")
    prov = Provenance.create("x", parameters={"b": 2, "a": (1, 2)}, seed=1, inputs=[path])
    assert prov.to_dict()["inputs"] == {"in.tsv": file_sha256(path)}
    assert prov.to_json() == Provenance.create("x", parameters={"a": [1, 2], "b": 2}, seed=1, inputs=[path]).to_json()


def test_atomic_outputs_get_umask_permissions(tmp_path):
    target = tmp_path / "shipped.json"
    with atomic_write(target) as handle:
        handle.write("{}")
    import os

    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
