"""The end of a run: the files that every finished run writes, in one call."""

import os

from common import gif, plotting, saving


def save_results(folder: str, g_model, d_model, history: list, panels: list,
                 frames: list) -> str:
    """Write generator.keras, discriminator.keras, curves.png (one panel per (title,
    [columns], log_scale) of `panels`) and progress.gif (the PNGs of `frames`, in order);
    history.csv is already there (the Run writes it at each evaluation). Returns the
    generator's path: measure the saved file, not the model in memory."""
    generator = os.path.join(folder, "generator.keras")
    saving.save_model(g_model, generator)
    saving.save_discriminator(d_model, os.path.join(folder, "discriminator.keras"))
    plotting.plot_history(os.path.join(folder, "curves.png"), history, panels)
    gif.make_gif(frames, os.path.join(folder, "progress.gif"))
    return generator
