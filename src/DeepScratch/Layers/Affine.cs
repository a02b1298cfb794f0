using DeepScratch.Kernels;
using DeepScratch.Tensors;

namespace DeepScratch.Layers;

/// <summary>
/// The fully connected layer of chapter 5: out = x·W + b. An input (N, ...) such as images (N, C, H, W) is viewed as
/// (N, D) for the product (no copy), and dx gets the input's shape back. Forward keeps that view of x for
/// Backward's dW = xᵀ·dout, so x must not change in between; likewise W must not change between a Forward and its
/// Backward (dx uses W as Backward first finds it). W may be written in place in any way between updates: every Forward
/// reads it afresh.
/// </summary>
public sealed class Affine : ILayer, IReusesBuffers
{
    private readonly TensorBuffer _outputBuffer = new();
    private readonly TensorBuffer _dxBuffer = new();
    private int[]? _inputShape;
    private Tensor? _x;
    private float[] _xTransposed = [];
    private PackedMatrix? _packedDout;

    /// <summary>
    /// Wraps weights (D, M) and bias (M,), named by the owning network (W1, b1, ...). The network's weight decay covers
    /// the weights when they are created with <c>weightDecay: true</c>, as the book's networks create them.
    /// </summary>
    /// <exception cref="ArgumentException">W is not a matrix, has a zero dimension, or b does not have one value per column of W.</exception>
    public Affine(Parameter w, Parameter b)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(b);
        if (b.Value.Rank != 1)
        {
            // The layer adds b in place to every row and its gradient has b's shape: it must be a vector.
            throw new ArgumentException($"Affine bias {b.Name} must be a vector (outputs,); got shape {b.Value.ShapeString}.", nameof(b));
        }

        CheckChain([(w.Name, w.Value, b.Name, b.Value)], inputSize: null);
        (W, B) = (w, b);
        Parameters = [w, b];
        _forwardWeights = new PackedWeight(w, w.Value.Dim(0), w.Value.Dim(1), Transpose.No);
        _backwardWeights = new PackedWeight(w, w.Value.Dim(0), w.Value.Dim(1), Transpose.Yes);
    }

    // W packed for x·W at every Forward (anything may have written W since; a product the GEMM reads W in place for,
    // Gemm.ReadsInPlace, packs nothing) and for dout·Wᵀ at most once per Forward, lazily by the first Backward: each
    // layout once per update at most, with nothing relying on writers to announce changes.
    private readonly PackedWeight _forwardWeights;
    private readonly PackedWeight _backwardWeights;

    /// <summary>Times W has been packed for the forward and the backward product (tests check one of each per Forward at most).</summary>
    internal (int Forward, int Backward) PackCounts => (_forwardWeights.PackCount, _backwardWeights.PackCount);

    /// <summary>The weights (inputs, outputs); their gradient dW = xᵀ·dout.</summary>
    public Parameter W { get; }

    /// <summary>The bias (outputs,); its gradient db = Σ dout over the batch.</summary>
    public Parameter B { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc/>
    public InferenceStep Inference => new InferenceStep.Linear(W.Value, B.Value);

    /// <inheritdoc/>
    bool IReusesBuffers.ReuseBuffers { get; set; }

    private bool Reuse => ((IReusesBuffers)this).ReuseBuffers;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">x has no batch axis or its examples do not have W's number of rows.</exception>
    public Tensor Forward(Tensor x, bool train)
    {
        ArgumentNullException.ThrowIfNull(x);
        int inputs = W.Value.Dim(0);
        if (x.Rank < 2 || x.Length != x.Dim(0) * inputs)
        {
            throw new ArgumentException(
                $"Affine {W.Name} takes a batch (N, ...) of {inputs} values per example; got shape {x.ShapeString}.", nameof(x));
        }

        if (_inputShape is null || !x.Shape.SequenceEqual(_inputShape))
        {
            _inputShape = x.Shape.ToArray();
        }

        _x = x.Rank == 2 && x.Dim(1) == inputs ? x : x.Reshape(x.Dim(0), inputs);
        // beta = 0 below overwrites every element, so a reused buffer's old contents never show.
        var output = _outputBuffer.Get(x.Dim(0), W.Value.Dim(1), Reuse);
        _forwardWeights.MarkStale();
        _backwardWeights.MarkStale();
        _forwardWeights.Multiply(Transpose.No, x.Dim(0), _x.Span, inputs, output.Span);
        output.AddRowVectorInPlace(B.Value);
        return output;
    }

    /// <inheritdoc/>
    public Tensor Backward(Tensor dout)
    {
        BackwardParameters(dout);
        var dx = _dxBuffer.Get(_inputShape!, Reuse);
        _backwardWeights.Multiply(Transpose.No, dout.Dim(0), dout.Span, W.Value.Dim(1), dx.Span);
        return dx;
    }

    /// <summary>
    /// The parameter half of <see cref="Backward"/>: dW = xᵀ·dout and db = Σ dout, without dx — for the first layer,
    /// whose input (the images) needs no gradient, which saves a third of its work.
    /// </summary>
    /// <exception cref="InvalidOperationException">No Forward came before.</exception>
    public void BackwardParameters(Tensor dout)
    {
        ArgumentNullException.ThrowIfNull(dout);
        var x = _x ?? throw new InvalidOperationException($"Affine {W.Name}: Backward needs a Forward first.");
        int n = x.Dim(0), inputs = x.Dim(1), outputs = W.Value.Dim(1);
        if (dout.Rank != 2 || dout.Dim(0) != n || dout.Dim(1) != outputs)
        {
            throw new ArgumentException($"Affine {W.Name}: dout must be ({n}, {outputs}), the shape Forward gave; got {dout.ShapeString}.", nameof(dout));
        }

        if (!Gemm.HasFastKernels || Gemm.ReadsInPlace(Transpose.No, inputs, outputs, n))
        {
            // A narrow dout is read in place and xᵀ straight from x (UnpackedBGemm): no pack, no transpose.
            Tensor.MatMul(x, Transpose.Yes, dout, Transpose.No, W.Grad);
        }
        else
        {
            // dout packed into a pack the layer keeps (Gemm.Multiply would pack it into a new one per call): the
            // same panels and the same product, without allocating.
            PackedMatrix.PackInto(ref _packedDout, dout.Span, outputs, Transpose.No, n, outputs);
            if ((long)n * inputs < 1 << 14)
            {
                Gemm.MultiplyPacked(Transpose.Yes, inputs, 1f, x.Span, inputs, _packedDout, 0f, W.Grad.Span, outputs);
            }
            else
            {
                // xᵀ stored once (a tiled transpose into a buffer kept from batch to batch) so the GEMM reads it row by
                // row; the same values in the same order as the transposed operand, so the same dW bit for bit.
                if (_xTransposed.Length < n * inputs)
                {
                    _xTransposed = new float[n * inputs];
                }

                MatrixTranspose.Run(x.Span, n, inputs, _xTransposed);
                Gemm.MultiplyPacked(Transpose.No, inputs, 1f, _xTransposed.AsSpan(0, n * inputs), n, _packedDout, 0f, W.Grad.Span, outputs);
            }
        }

        dout.SumAxis0(B.Grad);
    }

    /// <summary>
    /// Checks that affine layers (W1, b1), (W2, b2), ... chain from <paramref name="inputSize"/> (when known) to the
    /// classes, and says which array is wrong: a weight stored transposed, as PyTorch's nn.Linear stores it (outputs,
    /// inputs), is blamed as such, not its correct bias. A bias may be stored as a (1, n) row vector, which numpy
    /// broadcasts exactly as (n,); the returned biases are (n,) views. Layers with 0 units are refused.
    /// </summary>
    /// <returns>The biases as vectors and the layer sizes [inputs, outputs of layer 1, ..., classes].</returns>
    /// <exception cref="ArgumentException">The message names the array at fault and the shape it needs.</exception>
    internal static (Tensor[] Biases, int[] Sizes) CheckChain(
        IReadOnlyList<(string WName, Tensor W, string BName, Tensor B)> layers, int? inputSize)
    {
        var sizes = new int[layers.Count + 1];
        var biases = new Tensor[layers.Count];
        if (layers.Count > 1 && AllTransposed(layers, inputSize))
        {
            // Blaming the first array that does not fit would name one layer of many: the whole file has the other layout.
            string shapes = string.Join(", ", layers.Select(l => $"{l.WName} {l.W.ShapeString}"));
            throw new ArgumentException(
                $"every weight matrix looks transposed (PyTorch's nn.Linear layout (outputs, inputs)): transpose them ({shapes}; each must be (inputs, outputs)).");
        }

        for (int i = 0; i < layers.Count; i++)
        {
            var (wName, w, bName, b) = layers[i];
            ArgumentNullException.ThrowIfNull(w);
            ArgumentNullException.ThrowIfNull(b);
            bool lastLayer = i == layers.Count - 1;
            if (w.Rank != 2)
            {
                string hint = w.Rank == 4 ? " (a convolution filter: this is a convolutional network, which needs its own layers)" : "";
                throw new ArgumentException($"{wName} must be a matrix (inputs, outputs); it has shape {w.ShapeString}{hint}.");
            }

            if (w.Dim(0) == 0 || w.Dim(1) == 0)
            {
                string what = w.Dim(1) == 0
                    ? lastLayer ? "0 output classes: a classifier needs at least one class" : "0 units in its layer: every layer needs at least one"
                    : "0 inputs: every layer needs at least one";
                throw new ArgumentException($"{wName} has shape {w.ShapeString}: {what}.");
            }

            int? bias = VectorLength(b);
            int? inputs = i == 0 ? inputSize : sizes[i];
            string from = i == 0 ? "the input has" : $"the previous layer ({layers[i - 1].WName}) gives";
            if (inputs is int n && w.Dim(0) != n)
            {
                throw new ArgumentException(w.Dim(1) == n
                    ? $"{wName} has shape {w.ShapeString} but {from} {n} values: stored transposed? It must be ({n}, {w.Dim(0)}) (PyTorch's nn.Linear stores (outputs, inputs))."
                    : $"{wName} has shape {w.ShapeString} but {from} {n} values: its first dimension must be {n}.");
            }

            if (inputs is null && bias != w.Dim(1) && bias == w.Dim(0))
            {
                // No known input: the bias and the next layer's weights say how many units this layer really has.
                var next = lastLayer ? null : layers[i + 1].W;
                if (next is null || (next.Rank == 2 && next.Dim(0) == w.Dim(0)))
                {
                    string witnesses = next is null ? $"{bName} {b.ShapeString}" : $"{bName} {b.ShapeString} and {layers[i + 1].WName} {next.ShapeString}";
                    throw new ArgumentException(
                        $"{wName} has shape {w.ShapeString} but {witnesses} say its layer has {w.Dim(0)} units: stored transposed? It must be ({w.Dim(1)}, {w.Dim(0)}) (PyTorch's nn.Linear stores (outputs, inputs)).");
                }
            }

            if (b.Rank == 2 && b.Dim(1) == 1 && b.Dim(0) == w.Dim(1) && b.Dim(0) > 1)
            {
                // numpy would broadcast (n, 1) + (N, n) to an (n, n) sum when N == n, or fail otherwise: never the layer's output.
                throw new ArgumentException(
                    $"{bName} has shape {b.ShapeString}, a column vector: it must be ({w.Dim(1)},) or (1, {w.Dim(1)}) to add one value per unit of {wName} {w.ShapeString} (numpy would broadcast a column wrongly); reshape it.");
            }

            if (bias != w.Dim(1))
            {
                throw new ArgumentException($"{bName} must have shape ({w.Dim(1)},) to match {wName} {w.ShapeString}; it has {b.ShapeString}.");
            }

            sizes[i] = w.Dim(0);
            sizes[i + 1] = w.Dim(1);
            biases[i] = b.Rank == 1 ? b : b.Reshape(w.Dim(1));
        }

        return (biases, sizes);
    }

    /// <summary>
    /// True when the layers do not chain as (inputs, outputs) but every weight reversed does: each bias matches its
    /// weight's rows, and each weight's columns are the previous weight's rows (and the input size, when known).
    /// </summary>
    private static bool AllTransposed(IReadOnlyList<(string WName, Tensor W, string BName, Tensor B)> layers, int? inputSize)
    {
        if (layers.Any(l => l.W is null || l.B is null || l.W.Rank != 2 || l.W.Dim(0) == l.W.Dim(1) || VectorLength(l.B) != l.W.Dim(0)))
        {
            return false;
        }

        if (inputSize is int n && layers[0].W.Dim(1) != n)
        {
            return false;
        }

        for (int i = 1; i < layers.Count; i++)
        {
            if (layers[i].W.Dim(1) != layers[i - 1].W.Dim(0))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// n when <paramref name="b"/> is (n,) or a shape numpy broadcasts exactly as (n,) over a batch: (1, n), (1, 1, n).
    /// </summary>
    internal static int? VectorLength(Tensor b)
    {
        if (b.Rank == 0)
        {
            return null;
        }

        for (int d = 0; d < b.Rank - 1; d++)
        {
            if (b.Dim(d) != 1)
            {
                return null;
            }
        }

        return b.Dim(-1);
    }
}
