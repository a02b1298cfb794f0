using DeepScratch.Functions;
using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// What the book's networks share once their layers are built (<c>self.layers</c> plus <c>self.last_layer</c>): the
/// layers in order and the loss layer, with predict, loss (plus weight decay), gradient by backpropagation, accuracy
/// and loading by name written once. TwoLayerNet, MultiLayerNet and MultiLayerNetExtend differ only in the layers
/// they pass to <see cref="SetLayers"/>; nothing here depends on a layer's type.
/// </summary>
public abstract class LayeredNetwork : INetwork
{
    private ILayer[] _layers = [];
    private Parameter[] _parameters = [];
    private Parameter[] _decayed = [];
    private ILossLayer? _lastLayer;

    /// <summary>The layers in forward order.</summary>
    public IReadOnlyList<ILayer> Layers => _layers;

    /// <summary>The loss layer that ends the network.</summary>
    /// <exception cref="InvalidOperationException">The derived constructor has not called <see cref="SetLayers"/>.</exception>
    public ILossLayer LastLayer => _lastLayer ?? throw new InvalidOperationException($"{GetType().Name} has no layers: its constructor must call SetLayers.");

    /// <summary>λ of the L2 weight decay (0 for none).</summary>
    public double WeightDecayLambda { get; private set; }

    /// <inheritdoc/>
    public double LastDataLoss { get; private set; } = double.NaN;

    /// <inheritdoc/>
    public IReadOnlyList<int> InputShape { get; private set; } = [];

    /// <inheritdoc/>
    /// <remarks>The last affine layer's units when only shape-keeping layers follow it, else found by one inference forward of a zero example when the layers are set.</remarks>
    public int Classes { get; private set; }

    /// <summary>
    /// A short description from the <see cref="Architecture"/>, e.g. "multi-layer 784-100-100-10 (relu, batchnorm)"; a
    /// network with convolutions lists its layers, e.g. "simple-cnn 1x28x28 (conv 30 5x5 stride 1 pad 0, relu, ...)".
    /// </summary>
    public string Description
    {
        get
        {
            string Get(string key) => Architecture.TryGetValue(key, out var v) ? v : "";
            if (!Architecture.ContainsKey("hidden") || Get("model") == NetworkFactory.SimpleCnn)
            {
                // Networks with convolutions (or described only by their layers) are told by the layer sequence.
                var described = NetworkDescription.Of(this);
                string name = Get("model") is { Length: > 0 } m ? m : "sequential";
                return $"{name} {NetworkFactory.FormatShape(described.InputShape)} ({string.Join(", ", described.Layers)})";
            }

            string layers = $"{Get("input")}-{Get("hidden").Replace(',', '-')}-{Get("output")}";
            var extras = new List<string>();
            if (Get("activation") is { Length: > 0 } act)
            {
                extras.Add(act);
            }

            if (Get("batchnorm") == "true")
            {
                extras.Add("batchnorm");
            }

            if (Get("dropout") is { Length: > 0 } d && d is not ("0" or "none"))
            {
                extras.Add($"dropout {d}");
            }

            return $"{Get("model")} {layers}" + (extras.Count > 0 ? $" ({string.Join(", ", extras)})" : "");
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> Buffers { get; private set; } = new Dictionary<string, Tensor>();

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Architecture { get; protected init; } = new Dictionary<string, string>();

    /// <summary>
    /// Chains <paramref name="layers"/> into <paramref name="lastLayer"/>; called once by the derived constructor.
    /// Weight decay 0.5·λ·ΣW² covers every parameter marked <see cref="Parameter.WeightDecay"/> (the W's, as in the book).
    /// </summary>
    /// <param name="inputShape">One example's shape without the batch axis, e.g. (784).</param>
    /// <param name="layers">The layers in forward order (at least one).</param>
    /// <param name="lastLayer">The loss layer.</param>
    /// <param name="weightDecayLambda">λ of the L2 penalty; 0 for none.</param>
    /// <param name="buffers">Named tensors that are not learned but a saved model needs (BatchNorm running statistics).</param>
    /// <exception cref="ArgumentException">There are no layers, or two parameters or buffers share a name.</exception>
    /// <exception cref="ArgumentOutOfRangeException">λ is negative or not finite.</exception>
    /// <exception cref="InvalidOperationException">The layers were already set.</exception>
    protected void SetLayers(IReadOnlyList<int> inputShape, IReadOnlyList<ILayer> layers, ILossLayer lastLayer, double weightDecayLambda = 0,
        IReadOnlyDictionary<string, Tensor>? buffers = null)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(lastLayer);
        if (_lastLayer is not null)
        {
            throw new InvalidOperationException($"The layers of {GetType().Name} are already set.");
        }

        if (layers.Count == 0)
        {
            throw new ArgumentException("A network needs at least one layer before its loss layer.", nameof(layers));
        }

        if (!(weightDecayLambda >= 0) || double.IsInfinity(weightDecayLambda))
        {
            throw new ArgumentOutOfRangeException(nameof(weightDecayLambda), $"The weight decay λ must be a finite number ≥ 0; got {weightDecayLambda}.");
        }

        var parameters = layers.SelectMany(l => l.Parameters).ToArray();
        buffers ??= new Dictionary<string, Tensor>();
        var duplicate = parameters.Select(p => p.Name).Concat(buffers.Keys).GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Two tensors of the network are both named \"{duplicate.Key}\": names must be unique to save and load them.", nameof(layers));
        }

        InputShape = inputShape.ToArray();
        _layers = layers.ToArray();
        _lastLayer = lastLayer;
        WeightDecayLambda = weightDecayLambda;
        _parameters = parameters;
        _decayed = parameters.Where(p => p.WeightDecay).ToArray();
        Buffers = buffers;
        Classes = ClassesFromLayers() ?? Forward(Tensor.Zeros([1, .. InputShape]), train: false).Dim(-1);
    }

    /// <summary>
    /// The last affine layer's units when only shape-keeping layers follow it (every network of the book): read from
    /// the weights, so that loading never runs a forward whose size a file's metadata sets; null otherwise.
    /// </summary>
    private int? ClassesFromLayers()
    {
        int last = Array.FindLastIndex(_layers, l => l is not (DeepScratch.Layers.Relu or DeepScratch.Layers.Sigmoid or Dropout or BatchNormalization));
        return last >= 0 && _layers[last] is Affine affine ? affine.W.Value.Dim(1) : null;
    }

    /// <summary>
    /// The scores before the loss layer for a batch (N, ...): the book's <c>predict(x, train_flg)</c>;
    /// <paramref name="train"/> switches Dropout and BatchNorm to training behaviour.
    /// </summary>
    public Tensor Forward(Tensor x, bool train)
    {
        ArgumentNullException.ThrowIfNull(x);
        foreach (var layer in _layers)
        {
            x = layer.Forward(x, train);
        }

        return x;
    }

    /// <summary>Softmax probabilities at inference: one example (the input shape) gives (classes,), a batch (N, classes).</summary>
    /// <remarks>NaN and infinite inputs give numpy's IEEE result, row by row: see <see cref="IClassifier.Predict"/>.</remarks>
    public Tensor Predict(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        bool single = x.Rank == InputShape.Count;
        var probabilities = Activations.Softmax(Forward(AsBatch(x), train: false));
        return single ? probabilities.Reshape(probabilities.Dim(-1)) : probabilities;
    }

    /// <summary>
    /// The layers on the inference engine, each described by its <see cref="ILayer.Inference"/> (BatchNorm and Dropout
    /// folded into the preceding layer, activations fused), or null when a layer cannot describe itself.
    /// </summary>
    public InferenceEngine? CompileInference()
    {
        var steps = new List<InferenceStep>(_layers.Length);
        foreach (var layer in _layers)
        {
            if (layer.Inference is not { } step)
            {
                return null;
            }

            steps.Add(step);
        }

        return InferenceEngine.Compile(InputShape, steps);
    }

    /// <summary>A session of <see cref="CompileInference"/> for batches of up to <paramref name="maxBatch"/> examples, or null when the network does not compile.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBatch"/> is not positive.</exception>
    public InferenceSession? CreatePredictor(int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        return CompileInference()?.CreateSession(maxBatch);
    }

    /// <summary>The book's <c>loss</c>: the loss layer on the scores plus 0.5·λ·ΣW² (summed in double).</summary>
    public double Loss(Tensor x, Tensor t, bool train)
    {
        double loss = LastLayer.Forward(Forward(AsBatch(x), train), t);
        LastDataLoss = loss;
        if (WeightDecayLambda > 0)
        {
            double squares = 0;
            foreach (var w in _decayed)
            {
                squares += SumOfSquares(w.Value.Span);
            }

            loss += 0.5 * WeightDecayLambda * squares;
        }

        return loss;
    }

    /// <summary>Σ v² in double precision (each float widened before it is squared), vectorised.</summary>
    internal static double SumOfSquares(ReadOnlySpan<float> values)
    {
        var sum = System.Numerics.Vector<double>.Zero;
        int i = 0;
        int width = System.Numerics.Vector<float>.Count;
        for (; i <= values.Length - width; i += width)
        {
            System.Numerics.Vector.Widen(new System.Numerics.Vector<float>(values[i..]), out var low, out var high);
            sum += low * low + high * high;
        }

        double total = System.Numerics.Vector.Sum(sum);
        for (; i < values.Length; i++)
        {
            total += (double)values[i] * values[i];
        }

        return total;
    }

    /// <summary>
    /// The book's <c>gradient</c>: a training-mode forward, then backward from the loss layer through every layer,
    /// leaving dLoss/dparameter in each <see cref="Parameter.Grad"/> (λ·W added for weight decay). Returns the loss.
    /// </summary>
    /// <remarks>
    /// The activations and gradients passed between layers here never leave this method, so the layers write them into
    /// buffers of their own, reused from call to call (<see cref="IReusesBuffers"/>); outside it every layer returns
    /// new tensors as before.
    /// </remarks>
    public double Gradient(Tensor x, Tensor t)
    {
        SetReuse(true);
        try
        {
            double loss = Loss(x, t, train: true);
            var dout = LastLayer.Backward(1);
            for (int i = _layers.Length - 1; i >= 1; i--)
            {
                dout = _layers[i].Backward(dout);
            }

            // Nothing needs the gradient of the input images: the first layer stops at its parameters'.
            _layers[0].BackwardParameters(dout);
            if (WeightDecayLambda > 0)
            {
                foreach (var w in _decayed)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w.Value.Span, (float)WeightDecayLambda, w.Grad.Span, w.Grad.Span);
                }
            }

            return loss;
        }
        finally
        {
            SetReuse(false);
        }
    }

    /// <summary>Switches buffer reuse on or off in every layer (and the loss layer) that supports it (internal: the bench's training profile runs the layers one by one as Gradient does).</summary>
    internal void SetReuse(bool reuse)
    {
        foreach (var layer in _layers)
        {
            if (layer is IReusesBuffers buffered)
            {
                buffered.ReuseBuffers = reuse;
            }
        }

        if (_lastLayer is IReusesBuffers last)
        {
            last.ReuseBuffers = reuse;
        }
    }

    /// <summary>
    /// The book's <c>accuracy</c>: the fraction of examples whose highest score is the label's class, at inference,
    /// <paramref name="batchSize"/> examples at a time; labels are class indices (N,) or one-hot (N, classes).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is not positive.</exception>
    /// <exception cref="ArgumentException">The labels do not have one entry per example.</exception>
    /// <remarks>
    /// Non-finite scores are counted as the book's numpy <c>accuracy</c> counts them, not refused: an example's class
    /// is <c>np.argmax</c> of its scores, the first NaN when there is one (class 0 for a row of NaN), else the first
    /// maximum (+∞ included). The book's chapter 6 <c>batch_norm_test</c> relies on it to show a network that blew up
    /// at chance. <see cref="Evaluation"/>, which scores a model for the user, refuses such rows instead
    /// (<see cref="Evaluation.ThrowIfNotFinite"/>).
    /// </remarks>
    public double Accuracy(Tensor x, Tensor t, int batchSize = 100)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(t);
        Evaluation.CheckBatchSize(batchSize);
        x = AsBatch(x);
        int n = x.Dim(0);
        if (t.Rank == 0 || t.Dim(0) != n)
        {
            throw new ArgumentException($"Accuracy needs one label per example: {n} examples (shape {x.ShapeString}) but labels of shape {t.ShapeString}.", nameof(t));
        }

        // Scores, not probabilities: softmax can round two near scores to one probability and move the argmax.
        int correct = Evaluation.CountCorrect(
            x, batchSize, singleInputs: false, rows => Forward(rows, train: false),
            (scores, start) => Labels.Classify(scores, t.Rows(start, scores.Dim(0)), "accuracy"));
        return n == 0 ? 0 : (double)correct / n;
    }

    /// <summary>
    /// Overwrites every parameter and buffer with the tensor of its name, after checking that none is missing, none is
    /// unknown and every shape matches (nothing is changed when a check fails).
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A name is missing or unknown, or a shape differs (a (1, n) row vector is accepted for an (n,) vector, as numpy
    /// broadcasts it alike); the message lists them. Or a tensor holds NaN or ±∞, or one of a layer's
    /// <see cref="ILayer.Variances"/> (BatchNorm's running variance) is negative (the message names it and counts the values).
    /// </exception>
    public void LoadParameters(IReadOnlyDictionary<string, Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var tensors = parameters;
        var targets = Parameters.Select(p => (p.Name, p.Value)).Concat(Buffers.Select(b => (Name: b.Key, b.Value))).ToArray();
        var problems = new List<string>();
        var missing = targets.Where(p => !tensors.ContainsKey(p.Name)).Select(p => p.Name).ToArray();
        if (missing.Length > 0)
        {
            problems.Add($"missing {string.Join(", ", missing)}");
        }

        var unknown = tensors.Keys.Where(k => targets.All(p => p.Name != k)).ToArray();
        if (unknown.Length > 0)
        {
            problems.Add($"not in this network: {string.Join(", ", unknown)}");
        }

        foreach (var (name, value) in targets)
        {
            if (tensors.TryGetValue(name, out var given) && !FitsShape(given, value))
            {
                bool transposed = given.Rank == 2 && value.Rank == 2 && given.Dim(0) == value.Dim(1) && given.Dim(1) == value.Dim(0);
                problems.Add($"{name} has shape {given.ShapeString} but the network needs {value.ShapeString}{(transposed ? " (stored transposed?)" : "")}");
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(
                $"The tensors do not fit this network (it has {string.Join(", ", targets.Select(p => p.Name))}): {string.Join("; ", problems)}.",
                nameof(parameters));
        }

        // The non-finite rule, checked before anything is overwritten; a negative variance would make √var NaN too.
        var variances = _layers.SelectMany(l => l.Variances).ToArray();
        foreach (var (name, value) in targets)
        {
            FiniteParameters.ThrowIfNotFinite(null, name, tensors[name]);
            int negative = variances.Any(v => ReferenceEquals(v, value)) ? CountNegative(tensors[name].Span) : 0;
            if (negative > 0)
            {
                throw new ArgumentException(
                    $"{name} holds {negative} negative value{(negative == 1 ? "" : "s")} (of {value.Length}): a variance cannot be negative (its square root would be NaN).", nameof(parameters));
            }
        }

        foreach (var (name, value) in targets)
        {
            tensors[name].Span.CopyTo(value.Span);
        }
    }

    private static int CountNegative(ReadOnlySpan<float> values)
    {
        int count = 0;
        foreach (float v in values)
        {
            count += v < 0 ? 1 : 0;
        }

        return count;
    }

    /// <summary>Whether <paramref name="given"/> has <paramref name="needed"/>'s shape, or one numpy broadcasts exactly as it (a (1, n) bias for (n,)).</summary>
    private static bool FitsShape(Tensor given, Tensor needed) =>
        given.SameShape(needed) || (needed.Rank == 1 && Affine.VectorLength(given) == needed.Length);

    /// <summary>Adds a batch axis of 1 to a single example, which the layers expect.</summary>
    private Tensor AsBatch(Tensor x) => x.Rank == InputShape.Count ? x.Reshape([1, .. x.Shape]) : x;
}
