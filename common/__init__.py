"""What gan_1d.py and gan_mnist.py both use: flags, the run's folders, clock and record,
sampling, metrics, diagnoses and verdicts, files and figures. What gan_mnist.py alone uses is
in common/mnist/."""
