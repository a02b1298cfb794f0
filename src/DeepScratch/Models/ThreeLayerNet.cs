using DeepScratch.Serialization;
using static DeepScratch.Functions.Activations;

namespace DeepScratch.Models;

/// <summary>
/// The three-layer network of chapter 3 (<c>neuralnet_mnist.py</c>): two sigmoid hidden layers and a softmax output,
/// with the book's weight names W1, b1, W2, b2, W3, b3. With <c>sample_weight.pkl</c> it is 784-50-100-10.
/// </summary>
public sealed class ThreeLayerNet : IClassifier
{
    /// <summary>The weight names the network needs, in order.</summary>
    public static IReadOnlyList<string> ParameterNames { get; } = ["W1", "b1", "W2", "b2", "W3", "b3"];

    /// <summary>Builds the network from its six parameters, checking that their shapes chain.</summary>
    /// <exception cref="ArgumentException">A weight is not a matrix, a bias not a vector, or consecutive shapes do not fit.</exception>
    public ThreeLayerNet(Tensor w1, Tensor b1, Tensor w2, Tensor b2, Tensor w3, Tensor b3)
    {
        (W1, B1, W2, B2, W3, B3) = (w1, b1, w2, b2, w3, b3);
        CheckLayer("W1", w1, "b1", b1, inputs: null);
        CheckLayer("W2", w2, "b2", b2, inputs: w1.Dim(1));
        CheckLayer("W3", w3, "b3", b3, inputs: w2.Dim(1));
        InputShape = [w1.Dim(0)];
    }

    /// <summary>First layer weights (inputs x hidden1).</summary>
    public Tensor W1 { get; }

    /// <summary>First layer bias (hidden1).</summary>
    public Tensor B1 { get; }

    /// <summary>Second layer weights (hidden1 x hidden2).</summary>
    public Tensor W2 { get; }

    /// <summary>Second layer bias (hidden2).</summary>
    public Tensor B2 { get; }

    /// <summary>Output layer weights (hidden2 x classes).</summary>
    public Tensor W3 { get; }

    /// <summary>Output layer bias (classes).</summary>
    public Tensor B3 { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>Number of output classes.</summary>
    public int Classes => W3.Dim(1);

    /// <summary>Builds the network from named weights, as loaded from a weights file.</summary>
    /// <exception cref="InvalidDataException">A weight is missing or has the wrong shape; the message names the file.</exception>
    public static ThreeLayerNet FromWeights(IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var missing = ParameterNames.Where(n => !weights.ContainsKey(n)).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidDataException(
                $"{source} is not a three-layer network: it lacks {string.Join(", ", missing)} (it has {string.Join(", ", weights.Keys)}).");
        }

        try
        {
            return new ThreeLayerNet(weights["W1"], weights["b1"], weights["W2"], weights["b2"], weights["W3"], weights["b3"]);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    /// <summary>Loads the network from a numpy pickle such as the book's <c>sample_weight.pkl</c>.</summary>
    public static ThreeLayerNet Load(string path) => FromWeights(NumpyPickle.LoadTensors(path), path);

    /// <summary>
    /// The book's <c>predict</c>: a1 = x·W1 + b1, z1 = sigmoid(a1), a2 = z1·W2 + b2, z2 = sigmoid(a2),
    /// y = softmax(z2·W3 + b3). One image (784,) gives (10,); a batch (N, 784) gives (N, 10).
    /// </summary>
    /// <exception cref="ArgumentException">The input's last dimension is not the network's input size.</exception>
    public Tensor Predict(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank is < 1 or > 2 || x.Dim(-1) != W1.Dim(0))
        {
            throw new ArgumentException(
                $"The network takes one input of shape ({W1.Dim(0)},) or a batch (N, {W1.Dim(0)}); got {x.ShapeString}.", nameof(x));
        }

        var a1 = x.Dot(W1).AddRowVector(B1);
        var z1 = Sigmoid(a1);
        var a2 = z1.Dot(W2).AddRowVector(B2);
        var z2 = Sigmoid(a2);
        var a3 = z2.Dot(W3).AddRowVector(B3);
        return Softmax(a3);
    }

    /// <summary>
    /// A predictor for batches of up to <paramref name="maxBatch"/> examples that gives the same probabilities as
    /// <see cref="Predict"/> through fused kernels and reused buffers: the path for throughput.
    /// </summary>
    public FusedPredictor CreatePredictor(int maxBatch) => new(this, maxBatch);

    private static void CheckLayer(string wName, Tensor w, string bName, Tensor b, int? inputs)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(b);
        if (w.Rank != 2)
        {
            throw new ArgumentException($"{wName} must be a matrix (inputs, outputs); it has shape {w.ShapeString}.");
        }

        if (inputs is int n && w.Dim(0) != n)
        {
            throw new ArgumentException($"{wName} has shape {w.ShapeString} but the previous layer has {n} outputs: its first dimension must be {n}.");
        }

        if (b.Rank != 1 || b.Length != w.Dim(1))
        {
            throw new ArgumentException($"{bName} must have shape ({w.Dim(1)},) to match {wName} {w.ShapeString}; it has {b.ShapeString}.");
        }
    }
}
