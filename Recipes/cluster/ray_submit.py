"""Ray: run the sweep's shards as tasks on a Ray cluster, then merge them.

    ray job submit --working-dir . -- python Recipes/cluster/ray_submit.py --shards 8

Each task runs `mithai --shard I/N --out out/shard-I.db Recipes/cluster/sweep.mithai` on a worker
(the release binary and Datasets/ travel with --working-dir, or sit on a shared filesystem);
the driver merges the shard files it gets back into one session store.
"""
import argparse
import pathlib
import subprocess

import ray


@ray.remote(num_cpus=2)
def shard(index: int, count: int) -> bytes:
    out = pathlib.Path(f"out/shard-{index}.db")
    out.parent.mkdir(exist_ok=True)
    subprocess.run([".build/release/mithai", "--shard", f"{index}/{count}", "--out", str(out),
                    "Recipes/cluster/sweep.mithai"], check=True)
    return out.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shards", type=int, default=8)
    n = parser.parse_args().shards
    ray.init()
    pathlib.Path("out").mkdir(exist_ok=True)
    paths = []
    for i, data in enumerate(ray.get([shard.remote(i, n) for i in range(1, n + 1)]), start=1):
        path = pathlib.Path(f"out/shard-{i}.db")
        path.write_bytes(data)
        paths.append(str(path))
    subprocess.run([".build/release/mithai", "-c", "merge " + " ".join(paths) + " | sort pnl_net desc"], check=True)


if __name__ == "__main__":
    main()
