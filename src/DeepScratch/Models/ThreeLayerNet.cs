using DeepScratch.Layers;
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

    /// <summary>
    /// Builds the network from its six parameters, checking that their shapes chain and their values are finite. A
    /// bias may be a (1, n) row vector, which numpy broadcasts exactly as (n,); it is kept as an (n,) view.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A weight is not a matrix, a bias not a vector, a layer has 0 units, or consecutive shapes do not fit; the message
    /// names the array at fault (and asks "stored transposed?" when the reversed shape would fit).
    /// </exception>
    /// <exception cref="ArgumentException">A parameter holds NaN or ±∞ (the non-finite rule: the message names it and counts its NaN and infinite values).</exception>
    public ThreeLayerNet(Tensor w1, Tensor b1, Tensor w2, Tensor b2, Tensor w3, Tensor b3)
        : this(w1, b1, w2, b2, w3, b3, inputSize: null)
    {
    }

    private ThreeLayerNet(Tensor w1, Tensor b1, Tensor w2, Tensor b2, Tensor w3, Tensor b3, int? inputSize)
    {
        var (biases, sizes) = Affine.CheckChain([("W1", w1, "b1", b1), ("W2", w2, "b2", b2), ("W3", w3, "b3", b3)], inputSize);
        (W1, B1, W2, B2, W3, B3) = (w1, biases[0], w2, biases[1], w3, biases[2]);
        foreach (var (name, value) in Named(this))
        {
            FiniteParameters.ThrowIfNotFinite(null, name, value);
        }

        InputShape = [sizes[0]];
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

    /// <inheritdoc/>
    public int Classes => W3.Dim(1);

    /// <inheritdoc/>
    public string Description => $"{InputShape[0]}-{W1.Dim(1)}-{W2.Dim(1)}-{Classes}, sigmoid, sigmoid, softmax";

    /// <summary>
    /// Builds the network from named weights, as loaded from a weights file, checking them from the input on:
    /// <paramref name="inputSize"/> is the data's values per example when known (784 for MNIST), else null.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// A weight is missing, has the wrong shape (the message names the file and the array at fault) or holds NaN or
    /// ±∞ (the message names the array and counts its NaN and infinite values).
    /// </exception>
    public static ThreeLayerNet FromWeights(IReadOnlyDictionary<string, Tensor> weights, string source, int? inputSize = null)
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
            Affine.CheckChain(
                [("W1", weights["W1"], "b1", weights["b1"]), ("W2", weights["W2"], "b2", weights["b2"]), ("W3", weights["W3"], "b3", weights["b3"])],
                inputSize);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {ErrorText.Fragment(e, endsLine: true)}", e);
        }

        foreach (string name in ParameterNames)
        {
            FiniteParameters.ThrowIfNotFinite(source, name, weights[name]);
        }

        return new ThreeLayerNet(weights["W1"], weights["b1"], weights["W2"], weights["b2"], weights["W3"], weights["b3"], inputSize);
    }

    /// <summary>Loads the network from a numpy pickle such as the book's <c>sample_weight.pkl</c>.</summary>
    /// <exception cref="InvalidDataException">The file is malformed, or its arrays are not a valid network (see <see cref="FromWeights"/>).</exception>
    public static ThreeLayerNet Load(string path) => FromWeights(NumpyPickle.LoadTensors(path), path);

    /// <summary>
    /// The book's <c>predict</c>: a1 = x·W1 + b1, z1 = sigmoid(a1), a2 = z1·W2 + b2, z2 = sigmoid(a2),
    /// y = softmax(z2·W3 + b3). One image (784,) gives (10,); a batch (N, 784) gives (N, 10).
    /// </summary>
    /// <exception cref="ArgumentException">The input's last dimension is not the network's input size.</exception>
    /// <remarks>NaN and infinite inputs give numpy's IEEE result, row by row: see <see cref="IClassifier.Predict"/>.</remarks>
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
    /// The network on the inference engine: the three products with bias and sigmoid fused into their output tiles and
    /// the softmax into the last, the same arithmetic as <see cref="Predict"/>, so the same probabilities bit for bit.
    /// </summary>
    public InferenceEngine CompileInference() => InferenceEngine.Compile(InputShape,
    [
        new InferenceStep.Linear(W1, B1), new InferenceStep.Activate(Kernels.Activation.Sigmoid),
        new InferenceStep.Linear(W2, B2), new InferenceStep.Activate(Kernels.Activation.Sigmoid),
        new InferenceStep.Linear(W3, B3),
    ]);

    /// <summary>
    /// A session of <see cref="CompileInference"/> for batches of up to <paramref name="maxBatch"/> examples: the
    /// path for throughput, giving the same probabilities as <see cref="Predict"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatch"/> is not positive.</exception>
    public InferenceSession CreatePredictor(int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        return CompileInference().CreateSession(maxBatch);
    }

    internal static IEnumerable<(string Name, Tensor Value)> Named(ThreeLayerNet n) =>
        [("W1", n.W1), ("b1", n.B1), ("W2", n.W2), ("b2", n.B2), ("W3", n.W3), ("b3", n.B3)];
}
