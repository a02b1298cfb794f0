using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// A network that learns (chapters 5-6): loss, backpropagated gradients and accuracy on top of
/// <see cref="IClassifier.Predict"/>, plus what a model file needs to save it and rebuild it.
/// </summary>
public interface INetwork : IClassifier
{
    /// <summary>The learnable parameters by the book's names (W1, b1, gamma1, beta1, ...); optimizers update them in place.</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// Tensors that are not learned but inference needs, so a model file must save them with <see cref="Parameters"/>:
    /// BatchNorm's running_mean{i} and running_var{i}. Empty for networks without BatchNorm.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> Buffers { get; }

    /// <summary>
    /// Everything <see cref="NetworkFactory.Create"/> needs to rebuild this network untrained, as text, e.g.
    /// {"model": "multi-layer", "input": "784", "hidden": "100,100", "output": "10", "activation": "relu", ...}.
    /// </summary>
    IReadOnlyDictionary<string, string> Architecture { get; }

    /// <summary>
    /// The loss of inputs <paramref name="x"/> against labels <paramref name="t"/> (one-hot or class indices), with the
    /// weight-decay term; <paramref name="train"/> switches Dropout and BatchNorm to training behaviour.
    /// </summary>
    double Loss(Tensor x, Tensor t, bool train);

    /// <summary>
    /// The loss at the last <see cref="Loss"/> or <see cref="Gradient"/> call without the weight-decay term (NaN
    /// before the first): what divergence detection compares with ln(classes), since 0.5·λ·ΣW² alone can exceed the
    /// cross-entropy's cap in the book's own weight-decay recipe.
    /// </summary>
    double LastDataLoss { get; }

    /// <summary>A training-mode forward and the backward pass: fills every <see cref="Parameter.Grad"/> and returns the loss.</summary>
    double Gradient(Tensor x, Tensor t);

    /// <summary>The fraction classified correctly at inference, <paramref name="batchSize"/> examples at a time; labels as indices or one-hot.</summary>
    double Accuracy(Tensor x, Tensor t, int batchSize = 100);

    /// <summary>
    /// Overwrites the parameters and buffers with the tensors of the same names (a saved model), checking that every
    /// name is present and known and every shape matches before changing anything.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A name is missing or unknown, a shape differs, or a tensor holds NaN or ±∞ (nothing is changed then).
    /// </exception>
    void LoadParameters(IReadOnlyDictionary<string, Tensor> parameters);
}
