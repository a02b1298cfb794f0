namespace DeepScratch.Models;

/// <summary>A network that maps inputs to class probabilities: what <see cref="Evaluation"/> needs to score it.</summary>
public interface IClassifier
{
    /// <summary>The shape of one input, without the batch axis, e.g. (784) or (1, 28, 28).</summary>
    IReadOnlyList<int> InputShape { get; }

    /// <summary>Class probabilities: one input gives (classes,), a batch (N, ...) gives (N, classes).</summary>
    Tensor Predict(Tensor x);
}
