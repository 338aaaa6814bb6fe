"""Figures saved as PNG files: gan_1d's frames (D's view behind the curve and the points) and
every run's training curves."""

import io

import matplotlib.pyplot as plt
import numpy as np

from common.saving import write_atomically

plt.switch_backend("Agg")  # files only, no window: works on servers, in CI and on every OS


def save_figure(fig, path: str) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    write_atomically(path, buffer.getvalue())


def scatter_limits(curve: np.ndarray) -> tuple:
    """The axes of a 1D frame, fixed by the curve (n, 2): its domain and range plus a margin,
    so that every frame of a run shows the same window. Returns (x_lo, x_hi), (y_lo, y_hi)."""
    (x_lo, y_lo), (x_hi, y_hi) = curve.min(axis=0), curve.max(axis=0)
    dx, dy = 0.15 * (x_hi - x_lo), 0.25 * (y_hi - y_lo)
    return (x_lo - dx, x_hi + dx), (y_lo - dy, y_hi + dy)


def curve(f, domain: tuple, n: int = 400) -> np.ndarray:
    """n points (x, f(x)) along a curve over its domain (lo, hi), to draw it."""
    x = np.linspace(*domain, n)
    return np.stack([x, f(x)], axis=1)


def grid_points(xlim: tuple, ylim: tuple, size: int) -> np.ndarray:
    """size x size points (x, y) covering the window, row by row from the bottom: shape
    (size * size, 2), what D is asked about to draw its view."""
    x, y = np.meshgrid(np.linspace(*xlim, size), np.linspace(*ylim, size))
    return np.stack([x.ravel(), y.ravel()], axis=1).astype(np.float32)


def discriminator_view(d_model, curve: np.ndarray, company: np.ndarray, size: int):
    """D's verdict on size x size points of the frame's window around `curve`: (size, size)
    values from 0 (fake) to 1 (real), in one call of D. D judges packs, so each point is judged
    in a pack with the same real points, `company` (pack - 1 of them: none for packs of 1)."""
    points = grid_points(*scatter_limits(curve), size)
    packs = np.concatenate(
        [points[:, None], np.broadcast_to(company, (len(points), *company.shape))], axis=1)
    return np.asarray(d_model(packs, training=False)).reshape(size, size)


def plot_scatter(path: str, real: np.ndarray, fake: np.ndarray, curve: np.ndarray,
                 title: str, n_plot: int, d_view: np.ndarray = None) -> None:
    """The first n_plot real and generated points and the true curve (n, 2), on
    scatter_limits(curve); below, how all the real and all the generated x spread over the
    domain (what the KS distance measures).

    `d_view`, D's verdicts on grid_points(...) as a (size, size) array, is drawn under the
    points as the background, with a colour bar from fake (0) through undecided to real (1).
    """
    xlim, ylim = scatter_limits(curve)
    fig, (ax, ax_x) = plt.subplots(2, 1, figsize=(7, 5.4), sharex=True, layout="constrained",
                                   gridspec_kw={"height_ratios": [4, 1]})
    if d_view is not None:
        image = ax.imshow(d_view, origin="lower", extent=(*xlim, *ylim), aspect="auto",
                          cmap="PRGn", vmin=0.0, vmax=1.0, interpolation="bilinear")
        bar = fig.colorbar(image, ax=[ax, ax_x], ticks=[0, 0.5, 1], pad=0.02)
        bar.ax.set_yticklabels(["fake", "undecided", "real"], fontsize=8)
        bar.set_label("D's verdict D(x, y)", fontsize=8)
    ax.plot(curve[:, 0], curve[:, 1], color="black", linewidth=1, label="true curve")
    ax.scatter(*real[:n_plot].T, s=6, color="tab:red", alpha=0.5, label="real")
    ax.scatter(*fake[:n_plot].T, s=6, color="tab:blue", alpha=0.5, label="generated")
    ax.set(xlim=xlim, ylim=ylim, ylabel="y")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper center", ncol=3, fontsize=8)
    bins = np.linspace(*xlim, 41)
    for points, color in ((real, "tab:red"), (fake, "tab:blue")):
        ax_x.hist(points[:, 0], bins=bins, density=True, histtype="step", color=color)
    ax_x.set(xlabel="x", yticks=[])
    ax_x.set_ylabel("how often", fontsize=8)
    save_figure(fig, path)


def plot_history(path: str, history: list, panels: list) -> None:
    """One panel per (title, [columns], log_scale) entry, each column against iteration."""
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 2.2 * len(panels)), sharex=True)
    x = [row["iteration"] for row in history]
    for ax, (title, columns, log_scale) in zip(np.atleast_1d(axes), panels):
        for column in columns:
            ax.plot(x, [row[column] for row in history], marker="o", markersize=3,
                    label=column)
        ax.set_title(title, fontsize=10)
        if log_scale:
            ax.set_yscale("log")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[-1].set_xlabel("iteration")
    fig.tight_layout()
    save_figure(fig, path)
