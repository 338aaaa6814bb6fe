"""A small digit classifier, trained once on the real images, that scores generated digits:
how clearly each is one digit, how evenly the digits come, how close they are to real ones,
and (conditional GANs) whether each is the digit it was asked to be."""

import hashlib
import json
import os

import keras
import numpy as np

from common import metrics, saving


def define_classifier(n_classes: int = 10):
    """Two convolutions, a 128-unit layer (the features for the Fréchet distance), softmax
    over the classes."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(128, activation="relu", name="features"),
        keras.layers.Dense(n_classes, activation="softmax"),
    ], name="digit_classifier")
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam",
                  metrics=["accuracy"])
    return model


def train_classifier(x, y, x_held, y_held, folder: str, n_classes: int = 10):
    """The classifier for these images: loaded from `folder` when it was trained on exactly
    them, else trained now (about 50,000 images' worth) and saved there, for the next run.
    Each set of images has its own files (classifier_<fingerprint>.keras and .json), so
    runs on different sets in one folder never share or overwrite each other's."""
    fingerprint = hashlib.sha1(x.tobytes() + y.tobytes()).hexdigest()[:16]
    path, info_path = (os.path.join(folder, f"classifier_{fingerprint}.{ext}")
                       for ext in ("keras", "json"))
    try:
        with open(info_path, encoding="utf-8") as f:
            if json.load(f)["fingerprint"] == fingerprint:
                return keras.models.load_model(path)
    except (OSError, ValueError, KeyError):
        pass  # no usable cache: train one
    model = define_classifier(n_classes)
    model.fit(x, y, batch_size=128, epochs=min(20, max(1, 50_000 // len(x))), verbose=0)
    accuracy = float(np.mean(model.predict(x_held, verbose=0).argmax(axis=1) == y_held))
    print(f"digit classifier trained on {len(x)} images: {accuracy:.1%} right on "
          f"{len(x_held)} held-out images", flush=True)
    saving.save_model(model, path)
    saving.save_json(info_path, {"fingerprint": fingerprint, "held_out_accuracy": accuracy})
    return model


def scorer(classifier):
    """A model that gives, for each image, the classifier's probabilities and 128 features."""
    return keras.Model(classifier.inputs,
                       [classifier.outputs[0], classifier.get_layer("features").output])


def classify(scorer_model, images: np.ndarray) -> tuple:
    """Probabilities (n, classes) and features (n, 128) of the images."""
    probs, features = scorer_model.predict(images, batch_size=500, verbose=0)
    return probs, features


def image_metrics(scorer_model, images: np.ndarray, held_features: np.ndarray,
                  digits: np.ndarray = None) -> dict:
    """Classifier score, Fréchet distance to held-out real images, their features' spread
    compared with the held-out images', confident share, the smallest class's share, each
    class's share and, given the digits the images were asked to be, label_accuracy: the
    share the classifier reads as that digit."""
    probs, features = classify(scorer_model, images)
    shares = metrics.class_shares(probs)
    numbers = {"score": metrics.classifier_score(probs),
               "fd": metrics.frechet_distance(features, held_features),
               "spread": metrics.spread(features, held_features),
               "confident": metrics.confident_share(probs),
               "min_class_share": float(shares.min())}
    if digits is not None:
        numbers["label_accuracy"] = float(np.mean(probs.argmax(axis=1) == digits))
    return {**numbers, **{f"class_{digit}": float(share) for digit, share in enumerate(shares)}}
