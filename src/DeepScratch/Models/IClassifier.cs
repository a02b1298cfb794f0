namespace DeepScratch.Models;

/// <summary>A network that maps inputs to class probabilities: what <see cref="Evaluation"/> needs to score it.</summary>
public interface IClassifier
{
    /// <summary>The shape of one input, without the batch axis, e.g. (784) or (1, 28, 28).</summary>
    IReadOnlyList<int> InputShape { get; }

    /// <summary>The number of output classes: the length of each row <see cref="Predict"/> gives.</summary>
    int Classes { get; }

    /// <summary>
    /// One line about the network for output headers, e.g. "784-50-100-10, sigmoid, sigmoid, softmax" or
    /// "multi-layer 784-100-100-10 (relu, batchnorm)".
    /// </summary>
    string Description { get; }

    /// <summary>Class probabilities: one input gives (classes,), a batch (N, ...) gives (N, classes).</summary>
    /// <remarks>
    /// Inputs are not checked for NaN or ±∞ (a pass over them costs as much as a layer); they follow float32 IEEE
    /// arithmetic as the book's numpy code does, the same on every path (<see cref="Predict"/>, an
    /// <see cref="InferenceSession"/> of <see cref="CreatePredictor"/>) and at every batch size, and they affect only
    /// their own row. A NaN input gives NaN for every class of its row. ±∞ or a huge finite input (|x| near 3.4e38)
    /// gives what the formulas give: sigmoid layers saturate (finite probabilities), ReLU layers sum ∞·w of both signs
    /// to NaN, and a +∞ score makes softmax NaN. What scores or shows results for the user refuses such rows with an
    /// <see cref="InvalidDataException"/> (<see cref="Evaluation.ThrowIfNotFinite"/>): <see cref="Evaluation"/>, the
    /// CLI's predict and the web server (whose API refuses non-finite pixels with 400 before predicting); the book's
    /// <see cref="LayeredNetwork.Accuracy"/> counts them as numpy's argmax does (see there).
    /// </remarks>
    Tensor Predict(Tensor x);

    /// <summary>
    /// The network compiled for the inference engine (weights packed once, layers folded and fused), or null (the
    /// default) when it cannot be described by <see cref="Layers.InferenceStep"/>s; compiled anew on each call, from
    /// the current weights.
    /// </summary>
    InferenceEngine? CompileInference() => null;

    /// <summary>
    /// A session of the compiled network (<see cref="CompileInference"/>) for batches of up to
    /// <paramref name="maxBatch"/> examples on raw pixels or floats, giving <see cref="Predict"/>'s probabilities
    /// (bit for bit where the summation order is the same, else within 1e-5), or null when the network does not
    /// compile; the streaming evaluation then normalises the pixels and calls <see cref="Predict"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatch"/> is not positive.</exception>
    InferenceSession? CreatePredictor(int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        return CompileInference()?.CreateSession(maxBatch);
    }
}
