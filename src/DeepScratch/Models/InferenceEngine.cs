using DeepScratch.Kernels;
using DeepScratch.Layers;
using DeepScratch.Models.Inference;

namespace DeepScratch.Models;

/// <summary>
/// One compiled predictor for any network described by <see cref="InferenceStep"/>s (the chapter 3 network,
/// TwoLayerNet, MultiLayerNet(Extend), the CNNs): weights packed once for the shared GEMM, each scale-shift
/// (BatchNorm at inference, Dropout's scale) folded into the preceding linear or convolution step, each activation
/// fused into the GEMM's output tiles, the final softmax fused when the classes fit one panel. Images stay
/// channels-last (NHWC) inside: a convolution reads its patches straight from them (an implicit im2col), and the
/// first linear step after them gets its weight rows permuted once so that the result equals the book's NCHW flatten.
/// </summary>
/// <remarks>
/// The engine is immutable once compiled (it copies what it needs from the steps: later changes to the network's
/// tensors do not reach it) and safe for any number of threads at once; each caller runs it through its own
/// <see cref="CreateSession"/>, which holds that caller's buffers.
/// </remarks>
public sealed class InferenceEngine
{
    private readonly EngineOp[] _ops;

    private InferenceEngine(IReadOnlyList<int> inputShape, EngineOp[] ops)
    {
        InputShape = inputShape.ToArray();
        InputSize = inputShape.Aggregate(1, (a, b) => a * b);
        _ops = ops;
        Classes = ops[^1].OutputWidth;
        InputChannels = inputShape.Count == 3 ? inputShape[0] : 1;
        MaxWidth = ops.Max(o => o.OutputWidth);
        MultiplyAddsPerExample = ops.Sum(o => o.MultiplyAdds);
    }

    /// <summary>One example's shape without the batch axis: (features,) or images (C, H, W).</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>Values per example.</summary>
    public int InputSize { get; }

    /// <summary>Outputs per example (class probabilities).</summary>
    public int Classes { get; }

    internal IReadOnlyList<EngineOp> Ops => _ops;

    /// <summary>What computes each compiled step, in order (e.g. "SingleChannelConvolution+MaxPool", "WinogradConvolution", "Linear").</summary>
    internal IReadOnlyList<string> StepKernels => [.. _ops.Select(o => o.Name)];

    /// <summary>Channels of the input images (1 for flat inputs): more than one needs a transpose to channels-last first.</summary>
    internal int InputChannels { get; }

    /// <summary>The most floats per example any step writes.</summary>
    internal int MaxWidth { get; }

    /// <summary>The products' multiply-adds for one example (the work a session weighs before sharing a batch out).</summary>
    internal long MultiplyAddsPerExample { get; }

    /// <summary>
    /// The most values per example a session (<see cref="CreateSession"/>) holds in one buffer: the widest step's
    /// outputs or the input; a session of N examples holds N times this, so callers size their batches by it.
    /// </summary>
    public int WidestStep => Math.Max(MaxWidth, InputSize);

    /// <summary>A caller's own buffers for batches of up to <paramref name="maxBatch"/> examples.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatch"/> is not positive, or its buffers would exceed 2^31 floats.</exception>
    public InferenceSession CreateSession(int maxBatch) => new(this, maxBatch);

    /// <summary>
    /// Whether <paramref name="shape"/> is an example shape the engine (and so a model file) takes: (features,) or
    /// (C, H, W), every size at least 1. The one statement of the rule; <see cref="NetworkDescription.Parse"/> checks it too.
    /// </summary>
    public static bool IsInputShape(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Count is 1 or 3 && shape.All(d => d >= 1);
    }

    /// <summary>
    /// Compiles <paramref name="steps"/> (in forward order) for inputs of <paramref name="inputShape"/>, ending with the
    /// softmax of the last step's outputs.
    /// </summary>
    /// <param name="inputShape">One example's shape: (features,) or (C, H, W).</param>
    /// <param name="steps">The network's inference steps, e.g. each layer's <see cref="ILayer.Inference"/>.</param>
    /// <exception cref="ArgumentException">A step does not fit the shape before it (the message names the step and both shapes), or there is none.</exception>
    public static InferenceEngine Compile(IReadOnlyList<int> inputShape, IEnumerable<InferenceStep> steps)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(steps);
        if (!IsInputShape(inputShape))
        {
            throw new ArgumentException($"The engine takes inputs of shape (features,) or (C, H, W); got ({string.Join(", ", inputShape)}).", nameof(inputShape));
        }

        var nodes = Describe(inputShape, steps.ToList());
        Fold(nodes);
        FuseActivations(nodes);
        return new InferenceEngine(inputShape, Emit(inputShape, nodes));
    }

    /// <summary>A step while compiling, with its output shape in the book's order ((D,) or (C, H, W)).</summary>
    private sealed class Node(InferenceStep step, int[] shape)
    {
        public InferenceStep Step { get; set; } = step;

        public int[] Shape { get; } = shape;

        /// <summary>A linear or convolution step's weights and bias, copied so that folding never touches the network's own.</summary>
        public float[]? Weights { get; set; }

        public float[]? Bias { get; set; }

        public Activation Activation { get; set; }

        public bool IsGemm => Step is InferenceStep.Linear or InferenceStep.Convolution;
    }

    private static List<Node> Describe(IReadOnlyList<int> inputShape, List<InferenceStep> steps)
    {
        if (steps.Count == 0)
        {
            throw new ArgumentException("A network needs at least one inference step.", nameof(steps));
        }

        var nodes = new List<Node>();
        int[] shape = inputShape.ToArray();
        for (int i = 0; i < steps.Count; i++)
        {
            var step = steps[i] ?? throw new ArgumentException($"Inference step {i + 1} is null.", nameof(steps));
            string at = $"step {i + 1} ({step.GetType().Name})";
            string from = $"({string.Join(", ", shape)})";
            int features = shape.Aggregate(1, (a, b) => a * b);
            switch (step)
            {
                case InferenceStep.Linear l:
                    if (l.Weights.Rank != 2 || l.Weights.Dim(0) != features || l.Bias.Length != l.Weights.Dim(1))
                    {
                        throw new ArgumentException($"{at}: weights {l.Weights.ShapeString} and bias {l.Bias.ShapeString} do not fit an input of {from} ({features} values).", nameof(steps));
                    }

                    shape = [l.Weights.Dim(1)];
                    nodes.Add(new Node(step, shape) { Weights = l.Weights.Span.ToArray(), Bias = l.Bias.Span.ToArray() });
                    break;
                case InferenceStep.Convolution c:
                    if (shape.Length != 3 || c.Filters.Rank != 4 || c.Filters.Dim(1) != shape[0] || c.Bias.Length != c.Filters.Dim(0)
                        || c.Stride < 1 || c.Pad < 0 || shape[1] + 2 * c.Pad < c.Filters.Dim(2) || shape[2] + 2 * c.Pad < c.Filters.Dim(3))
                    {
                        throw new ArgumentException($"{at}: filters {c.Filters.ShapeString} (stride {c.Stride}, pad {c.Pad}) do not fit images of {from}.", nameof(steps));
                    }

                    shape = [c.Filters.Dim(0), (shape[1] + 2 * c.Pad - c.Filters.Dim(2)) / c.Stride + 1, (shape[2] + 2 * c.Pad - c.Filters.Dim(3)) / c.Stride + 1];
                    nodes.Add(new Node(step, shape) { Weights = c.Filters.Span.ToArray(), Bias = c.Bias.Span.ToArray() });
                    break;
                case InferenceStep.MaxPool p:
                    if (shape.Length != 3 || p.PoolH < 1 || p.PoolW < 1 || p.Stride < 1 || p.Pad < 0 || shape[1] + 2 * p.Pad < p.PoolH || shape[2] + 2 * p.Pad < p.PoolW)
                    {
                        throw new ArgumentException($"{at}: a {p.PoolH}x{p.PoolW} window (stride {p.Stride}, pad {p.Pad}) does not fit images of {from}.", nameof(steps));
                    }

                    shape = [shape[0], (shape[1] + 2 * p.Pad - p.PoolH) / p.Stride + 1, (shape[2] + 2 * p.Pad - p.PoolW) / p.Stride + 1];
                    nodes.Add(new Node(step, shape));
                    break;
                case InferenceStep.ScaleShift s:
                    if ((s.Scale.Length != 1 && s.Scale.Length != features) || (s.Shift is { } t && t.Length != 1 && t.Length != features))
                    {
                        throw new ArgumentException($"{at}: scale {s.Scale.ShapeString} and shift {s.Shift?.ShapeString ?? "none"} do not fit {features} features.", nameof(steps));
                    }

                    nodes.Add(new Node(step, shape) { Weights = s.Scale.Span.ToArray(), Bias = s.Shift?.Span.ToArray() });
                    break;
                case InferenceStep.Activate a when a.Function is Activation.Relu or Activation.Sigmoid:
                    nodes.Add(new Node(step, shape));
                    break;
                default:
                    throw new ArgumentException($"{at} is not a step the engine runs.", nameof(steps));
            }
        }

        return nodes;
    }

    /// <summary>
    /// Folds each scale-shift into the linear or convolution step before it: W' = W·scale, b' = b·scale + shift per
    /// output feature (BatchNorm: b' = (b − μ)·γ/√(var+ε) + β). Also across a ReLU when the shift is 0 and every scale
    /// positive (ReLU(s·z) = s·ReLU(z)), which is Dropout's (1 − ratio) after an activation. Others stay steps of their own.
    /// </summary>
    private static void Fold(List<Node> nodes)
    {
        for (int i = 1; i < nodes.Count; i++)
        {
            if (nodes[i].Step is not InferenceStep.ScaleShift)
            {
                continue;
            }

            var scale = nodes[i].Weights!;
            var shift = nodes[i].Bias;
            Node? target = nodes[i - 1].IsGemm ? nodes[i - 1]
                : i >= 2 && nodes[i - 1].Step is InferenceStep.Activate { Function: Activation.Relu } && nodes[i - 2].IsGemm
                    && (shift is null || shift.All(v => v == 0)) && scale.All(v => v > 0) ? nodes[i - 2]
                : null;
            if (target is not null && TryFold(target, scale, shift))
            {
                nodes.RemoveAt(i);
                i--;
            }
        }
    }

    private static bool TryFold(Node target, float[] scale, float[]? shift)
    {
        int outputs = target.Bias!.Length;
        // Features are the output in book order; a convolution's (FN, OH, OW) folds only when constant per filter.
        int perOutput = target.Shape.Aggregate(1, (a, b) => a * b) / outputs;
        float ScaleOf(int j) => scale.Length == 1 ? scale[0] : scale[j * perOutput];
        float ShiftOf(int j) => shift is null ? 0f : shift.Length == 1 ? shift[0] : shift[j * perOutput];
        if (perOutput > 1)
        {
            for (int j = 0; j < outputs; j++)
            {
                for (int q = 1; q < perOutput; q++)
                {
                    if ((scale.Length > 1 && scale[j * perOutput + q] != ScaleOf(j)) || (shift is { Length: > 1 } && shift[j * perOutput + q] != ShiftOf(j)))
                    {
                        return false;
                    }
                }
            }
        }

        var w = target.Weights!;
        var b = target.Bias;
        bool conv = target.Step is InferenceStep.Convolution;
        int inner = w.Length / outputs; // a convolution filter's C·FH·FW values; a linear layer's rows
        for (int idx = 0; idx < w.Length; idx++)
        {
            // Linear W is (inputs, outputs): column j = idx % outputs; filters are (FN, ...): filter j = idx / inner.
            int j = conv ? idx / inner : idx % outputs;
            w[idx] *= ScaleOf(j);
        }

        for (int j = 0; j < outputs; j++)
        {
            b[j] = b[j] * ScaleOf(j) + ShiftOf(j);
        }

        return true;
    }

    /// <summary>Moves each activation into the GEMM step just before it, applied to the output tiles.</summary>
    private static void FuseActivations(List<Node> nodes)
    {
        for (int i = 1; i < nodes.Count; i++)
        {
            if (nodes[i].Step is InferenceStep.Activate a && nodes[i - 1].IsGemm && nodes[i - 1].Activation == Activation.None)
            {
                nodes[i - 1].Activation = a.Function;
                nodes.RemoveAt(i);
                i--;
            }
        }
    }

    private static EngineOp[] Emit(IReadOnlyList<int> inputShape, List<Node> nodes)
    {
        var ops = new List<EngineOp>();
        int[] shape = inputShape.ToArray();
        bool channelsLast = shape.Length == 3;
        int pixelStride = 0; // set by a convolution padded to whole panels for the pool after it
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            bool last = i == nodes.Count - 1;
            switch (node.Step)
            {
                case InferenceStep.Linear:
                {
                    int inputs = shape.Aggregate(1, (a, b) => a * b), outputs = node.Bias!.Length;
                    var w = channelsLast ? PermuteRows(node.Weights!, shape, outputs) : node.Weights!;
                    // The softmax is fused when the classes fit one panel (the book's 10), else run after.
                    var activation = last && node.Activation == Activation.None && outputs <= PackedMatrix.PanelWidth ? Activation.Softmax : node.Activation;
                    ops.Add(new LinearOp(w, inputs, outputs, node.Bias, activation));
                    channelsLast = false;
                    break;
                }

                case InferenceStep.Convolution c:
                {
                    var geometry = new PatchGeometry(shape[1], shape[2], shape[0], c.Filters.Dim(2), c.Filters.Dim(3), c.Stride, c.Pad);
                    var (filters, bias) = (node.Weights!, node.Bias!);
                    var next = i + 1 < nodes.Count ? nodes[i + 1] : null;
                    long multiplyAdds = (long)node.Shape.Aggregate(1, (a, b) => a * b) * geometry.PatchLength;
                    if (FastConvolution(geometry, filters, bias, node.Activation, next) is { } fast)
                    {
                        // A fused pool's step is done here: skip it.
                        var outShape = fast.Name.EndsWith("+MaxPool", StringComparison.Ordinal) ? nodes[++i].Shape : node.Shape;
                        ops.Add(new ConvolutionOp(fast, outShape.Aggregate(1, (a, b) => a * b), multiplyAdds));
                        shape = outShape;
                        continue;
                    }

                    // Before a pool, filters are padded with zero filters to whole panels (30 -> 32) so that every
                    // output tile is stored whole; the pool reads the real channels and writes them compact.
                    int fn = bias.Length, padded = (fn + PackedMatrix.PanelWidth - 1) / PackedMatrix.PanelWidth * PackedMatrix.PanelWidth;
                    if (padded != fn && i + 1 < nodes.Count && nodes[i + 1].Step is InferenceStep.MaxPool)
                    {
                        Array.Resize(ref filters, padded * geometry.PatchLength);
                        Array.Resize(ref bias, padded);
                        pixelStride = padded;
                    }

                    var kernel = new ImplicitGemmConvolution(geometry, filters, bias, node.Activation);
                    ops.Add(new ConvolutionOp(kernel, node.Shape.Aggregate(1, (a, b) => a * b) / fn * bias.Length, multiplyAdds));
                    break;
                }

                case InferenceStep.MaxPool p:
                    ops.Add(new MaxPoolOp(shape[1], shape[2], shape[0], p.PoolH, p.PoolW, p.Stride, p.Pad, pixelStride > 0 ? pixelStride : shape[0]));
                    pixelStride = 0;
                    break;
                case InferenceStep.ScaleShift:
                {
                    var scale = node.Weights!;
                    var shift = node.Bias;
                    if (channelsLast)
                    {
                        scale = scale.Length == 1 ? scale : ToChannelsLast(scale, shape);
                        shift = shift is null || shift.Length == 1 ? shift : ToChannelsLast(shift, shape);
                    }

                    ops.Add(new ScaleShiftOp(shape.Aggregate(1, (a, b) => a * b), scale, shift, Activation.None));
                    break;
                }

                case InferenceStep.Activate a:
                    ops.Add(new ActivationOp(shape.Aggregate(1, (x, y) => x * y), a.Function));
                    break;
            }

            shape = node.Shape;
        }

        if (ops[^1] is not LinearOp || nodes[^1].Activation != Activation.None || ops[^1].OutputWidth > PackedMatrix.PanelWidth)
        {
            ops.Add(new ActivationOp(ops[^1].OutputWidth, Activation.Softmax));
        }

        return [.. ops];
    }

    /// <summary>
    /// The fast kernel for a convolution where one applies, else null (the implicit-im2col GEMM): a one-channel
    /// stride-1 square filter -> <see cref="SingleChannelConvolution"/> (with the next 2x2 stride-2 unpadded max pool
    /// fused when the activation is ReLU); a multi-channel 3x3 stride-1 filter -> <see cref="WinogradConvolution"/>
    /// (with the next 2x2 stride-2 unpadded max pool fused, after no activation or ReLU).
    /// Both only for finite filters and bias (the GEMM then gives the layers' NaN/∞ pattern), no activation or ReLU,
    /// and a machine that runs them.
    /// </summary>
    private static IConvolutionKernel? FastConvolution(PatchGeometry g, float[] filters, float[] bias, Activation activation, Node? next)
    {
        if (g.Stride != 1 || activation is not (Activation.None or Activation.Relu)
            || !System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(filters) || !System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(bias))
        {
            return null;
        }

        bool relu = activation == Activation.Relu;
        if (g.Channels == 1 && g.FilterH == g.FilterW)
        {
            bool pool = relu && next?.Step is InferenceStep.MaxPool { PoolH: 2, PoolW: 2, Stride: 2, Pad: 0 };
            return SingleChannelConvolution.TryCreate(filters, bias, bias.Length, g.FilterH, g.Pad, relu, pool) is { } k
                ? new SingleChannelKernel(k, g.Height, g.Width) : null;
        }

        if (g.Channels > 1 && g.FilterH == 3 && g.FilterW == 3)
        {
            bool pool = next?.Step is InferenceStep.MaxPool { PoolH: 2, PoolW: 2, Stride: 2, Pad: 0 } && g.OutH >= 2 && g.OutW >= 2;
            return WinogradConvolution.TryCreate(filters, bias, bias.Length, g.Channels, g.Pad, relu, WinogradTile, pool) is { } w
                ? new WinogradKernel(w, g.Height, g.Width) : null;
        }

        return null;
    }

    /// <summary>
    /// The Winograd output tile for a 3x3 convolution: F(4x4, 3x3), 2.25 multiplications per output against F(2x2)'s 4,
    /// on every layer, tiles past the output's edge included (14x14 -> 16x16 still costs 2.9). Its rounding is about ten
    /// times F(2x2)'s: on DeepConvNet's real layers (20 test images, WinogradConvolutionTests) the largest |error| is
    /// 7.4e-6 (conv2) to 8.3e-5 (conv6, |y| up to 33: 2.5e-6 relative) against 1.5e-6 to 8.8e-6 for F(2x2), and the
    /// engine's probabilities stay within 1.8e-6 of the layer forward on all 10,000 images (bound 1e-5), 9797 correct.
    /// </summary>
    private const int WinogradTile = 4;

    /// <summary>
    /// The weight rows of a linear step after images, reordered from the book's NCHW flatten (c, h, w) to the
    /// engine's channels-last one (h, w, c): the same sums, over the same products, in the new order.
    /// </summary>
    private static float[] PermuteRows(float[] w, int[] chw, int outputs)
    {
        int c = chw[0], h = chw[1], width = chw[2];
        var permuted = new float[w.Length];
        for (int ch = 0; ch < c; ch++)
        {
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    int from = (ch * h + y) * width + x, to = (y * width + x) * c + ch;
                    Array.Copy(w, (long)from * outputs, permuted, (long)to * outputs, outputs);
                }
            }
        }

        return permuted;
    }

    /// <summary>Per-feature values in NCHW order (c, h, w) rearranged to NHWC (h, w, c).</summary>
    private static float[] ToChannelsLast(float[] values, int[] chw) => PermuteRows(values, chw, 1);
}
