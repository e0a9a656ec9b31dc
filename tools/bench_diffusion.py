"""Benchmark Chapter 8's DDPM: train it exactly as the chapter does and measure its samples.

    python tools/bench_diffusion.py

Prints one ``name value`` line per number: the training time, the sampling time, the share
of samples more than 4 noise standard deviations off the generator's spiral (beside the same
share for fresh data), and the unbiased MMD² with a Gaussian kernel of bandwidth 0.1 against
2000 held-out points beside its two baselines (fresh data from the true distribution, mean
and standard deviation over five draws; a Gaussian fitted to the training data).  The data,
schedule, network, optimizer settings and seeds are those of chapters/08_diffusion.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from helpers.diffusion import (  # noqa: E402
    alpha_bar,
    beta_schedule,
    distance_to_roll,
    eps_fn_from_model,
    mmd_rbf,
    sample_ancestral,
    swiss_roll_2d,
    train_denoiser,
)

T = 1000
BANDWIDTH = 0.1


def main() -> int:
    torch.manual_seed(0)
    torch.set_num_threads(1)  # as in the chapter
    betas = beta_schedule("linear", T)
    alpha_bars = alpha_bar(betas)
    x_train = swiss_roll_2d(20_000, seed=0)
    x_heldout = swiss_roll_2d(2_000, seed=1)

    start = time.perf_counter()
    ddpm, _ = train_denoiser(x_train, "ddpm", alpha_bars=alpha_bars,
                             steps=5000, batch=512, lr=8e-3, hidden=128, seed=0)
    train_seconds = time.perf_counter() - start

    start = time.perf_counter()
    samples = sample_ancestral(eps_fn_from_model(ddpm, T), 2000, betas, np.random.default_rng(10))
    sample_seconds = time.perf_counter() - start

    gauss_fit = np.random.default_rng(3).multivariate_normal(x_train.mean(0), np.cov(x_train.T), 2000)
    fresh = [mmd_rbf(swiss_roll_2d(2000, seed=s), x_heldout, BANDWIDTH) for s in range(2, 7)]

    print(f"ddpm_train_seconds {train_seconds:.1f}")
    print(f"ddpm_sample_seconds {sample_seconds:.1f}")
    print(f"ddpm_off_spiral_share {np.mean(distance_to_roll(samples) > 4):.4f}")
    print(f"data_off_spiral_share {np.mean(distance_to_roll(swiss_roll_2d(100_000, seed=7)) > 4):.5f}")
    print(f"ddpm_mmd2 {mmd_rbf(samples, x_heldout, BANDWIDTH):.3e}")
    print(f"baseline_fresh_data_mmd2 {np.mean(fresh):.3e}")
    print(f"baseline_fresh_data_mmd2_sd {np.std(fresh, ddof=1):.3e}")
    print(f"baseline_gaussian_fit_mmd2 {mmd_rbf(gauss_fit, x_heldout, BANDWIDTH):.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
