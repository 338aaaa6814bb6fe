"""The files that describe a run: models.txt at its start, and at its end the files that every
finished run writes, in one call."""

import os

from common import gif, plotting, saving


def save_results(folder: str, g_model, d_model, history: list, panels: list,
                 frames: list) -> str:
    """Write generator.keras, discriminator.keras, curves.png (one panel per (title,
    [columns], log_scale) of `panels`) and progress.gif (the PNGs of `frames`, in order);
    history.csv is already there (the record writes it at each evaluation). Returns the
    generator's path: measure the saved file, not the model in memory."""
    saving.save_models(folder, g_model, d_model)
    plotting.plot_history(os.path.join(folder, "curves.png"), history, panels)
    gif.make_gif(frames, os.path.join(folder, "progress.gif"))
    return os.path.join(folder, "generator.keras")


def save_model_summaries(folder: str, d_model, g_model, gan_model) -> None:
    """Write D's, G's and the composite's summary() to models.txt, each as it is trained: D
    with its weights trainable, the composite with D's weights non-trainable (the freeze, in
    Keras' own words), and print one line with the three parameter counts."""
    frozen = d_model.trainable
    texts = []
    for model, d_trains in ((d_model, True), (g_model, frozen), (gan_model, False)):
        d_model.trainable = d_trains
        model.summary(print_fn=lambda line, **kwargs: texts.append(line), line_length=80)
    d_model.trainable = frozen
    saving.write_atomically(os.path.join(folder, "models.txt"),
                            "\n".join(texts).encode("utf-8") + b"\n")
    gan_trains = sum(int(w.numpy().size) for w in gan_model.trainable_weights)
    print(f"models ({os.path.join(folder, 'models.txt')}): D {d_model.count_params():,} "
          f"parameters, G {g_model.count_params():,}, the composite "
          f"{gan_model.count_params():,} of which {gan_trains:,} train (G's; D's are frozen)",
          flush=True)
