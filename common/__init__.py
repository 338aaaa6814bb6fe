"""What gan_1d.py and gan_mnist.py share: flags, sampling, the training loop, files, plots."""
