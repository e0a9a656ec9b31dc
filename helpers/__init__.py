"""The code behind *The Mathematics of Modern Deep Learning*.

The book and this package are one thing: a chapter teaches a piece of code, tests check it
against an independent reference, and later chapters import it from here.

Modules by topic
    info       entropy, KL divergence, mutual information (Chapter 1)
    softmax    softmax with temperature, its Jacobian, Gumbel-softmax, distillation (Chapter 2)
    backprop   a hand-written MLP, gradient checks, BatchNorm's two modes, receptive fields (Chapter 3)
    attention  scaled dot-product and multi-head attention, masks, positional encoding, LayerNorm (Chapter 4)
    losses     cross-entropy and BCE from logits, perplexity, Gaussian NLL and KL (Chapter 5)
    contrastive  InfoNCE, NT-Xent, margin and triplet losses, alignment, uniformity (Chapter 6)
    vae        Gaussian KL, reparameterisation, IWAE bound, coupling flows (Chapter 7)
    diffusion  noise schedules, forward noising, DDPM posteriors (Chapter 8)

Plumbing
    plotting   the book's figure style and colour-blind-safe palette
    widgets    interactive figures whose sliders also work on the static website
    grading    auto-graded exercises: ``check(question_id, answer)``
"""

__version__ = "0.1.0"
