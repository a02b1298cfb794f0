using System.Globalization;
using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// The chapter 6 network with the countermeasures against overfitting and poor initialisation
/// (<c>common/multi_layer_net_extend.py</c>): per hidden layer Affine → [BatchNorm] → Relu or Sigmoid → [Dropout],
/// then Affine → SoftmaxWithLoss; parameters W1, b1, gamma1, beta1, W2, ... and, with BatchNorm, running statistics.
/// </summary>
public sealed class MultiLayerNetExtend : LayeredNetwork
{
    /// <summary>
    /// Builds the network with weights drawn from <c>new Random(seed)</c>, layer by layer (gamma starts at 1, beta and
    /// biases at 0); the same generator then draws the Dropout masks, so a seeded run repeats exactly.
    /// </summary>
    /// <param name="inputSize">Values per example (784 for MNIST).</param>
    /// <param name="hiddenSizes">Neurons of each hidden layer; may be empty.</param>
    /// <param name="outputSize">Classes.</param>
    /// <param name="activation">"relu" or "sigmoid".</param>
    /// <param name="weightInit">"he" (the book's "relu"), "xavier" ("sigmoid") or a standard deviation such as "0.01".</param>
    /// <param name="weightDecayLambda">λ of the L2 weight decay; 0 for none.</param>
    /// <param name="useDropout">Whether each hidden layer ends with Dropout.</param>
    /// <param name="dropoutRatio">The fraction of neurons Dropout erases in training (the book's <c>dropout_ration</c>).</param>
    /// <param name="useBatchnorm">Whether each hidden Affine is followed by BatchNorm.</param>
    /// <param name="seed">Seed of the generator: the same seed gives bit-identical weights.</param>
    /// <exception cref="ArgumentException">An argument is out of range or names an unknown activation or initialisation.</exception>
    public MultiLayerNetExtend(int inputSize, IReadOnlyList<int> hiddenSizes, int outputSize, string activation = "relu",
        string weightInit = "he", double weightDecayLambda = 0, bool useDropout = false, double dropoutRatio = 0.5,
        bool useBatchnorm = false, int seed = 0)
    {
        if (useDropout)
        {
            // Checked here too: a net without hidden layers builds no Dropout layer that would refuse the ratio.
            Dropout.CheckRatio(dropoutRatio);
        }

        var random = new Random(seed);
        var (layers, buffers) = MultiLayerNet.BuildLayers(
            inputSize, hiddenSizes, outputSize, activation, weightInit, useBatchnorm, useDropout ? dropoutRatio : null, random);
        SetLayers([inputSize], layers, new SoftmaxWithLoss(), weightDecayLambda, buffers.AsReadOnly());
        var architecture = MultiLayerNet.DescribeArchitecture(
            NetworkFactory.MultiLayerExtend, inputSize, hiddenSizes, outputSize, activation, weightInit, weightDecayLambda);
        architecture["batchnorm"] = useBatchnorm ? "true" : "false";
        architecture["dropout"] = useDropout ? dropoutRatio.ToString("R", CultureInfo.InvariantCulture) : "none";
        Architecture = architecture.AsReadOnly();
    }
}
