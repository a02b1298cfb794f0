using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// What the book's networks share once their layers are built: forward, loss, backprop and accuracy over a
/// <see cref="LayerStack"/>. TwoLayerNet, MultiLayerNet and MultiLayerNetExtend differ only in the layers they stack.
/// </summary>
public abstract class LayeredNetwork : INetwork
{
    /// <summary>The stacked layers and the loss layer; set by the derived constructor.</summary>
    protected LayerStack Net { get; init; } = null!;

    /// <summary>The layers in order, for inspection.</summary>
    public IReadOnlyList<ILayer> Layers => Net.Layers;

    /// <summary>λ of the L2 weight decay (0 for none).</summary>
    public double WeightDecayLambda => Net.WeightDecayLambda;

    /// <inheritdoc cref="LayerStack.LastDataLoss"/>
    public double LastDataLoss => Net.LastDataLoss;

    /// <inheritdoc/>
    public IReadOnlyList<int> InputShape => Net.InputShape;

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => Net.Parameters;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> Buffers => Net.Buffers;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Architecture { get; protected init; } = new Dictionary<string, string>();

    /// <inheritdoc/>
    public Tensor Predict(Tensor x) => Net.PredictProbabilities(x);

    /// <inheritdoc/>
    public double Loss(Tensor x, Tensor t, bool train) => Net.Loss(x, t, train);

    /// <inheritdoc/>
    public double Gradient(Tensor x, Tensor t) => Net.Gradient(x, t);

    /// <inheritdoc/>
    public double Accuracy(Tensor x, Tensor t, int batchSize = 100) => Net.Accuracy(x, t, batchSize);

    /// <inheritdoc/>
    public void LoadParameters(IReadOnlyDictionary<string, Tensor> parameters) => Net.Load(parameters);
}
