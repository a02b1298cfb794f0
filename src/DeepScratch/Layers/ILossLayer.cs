namespace DeepScratch.Layers;

/// <summary>
/// The last layer of chapter 5 (<c>SoftmaxWithLoss</c>, <c>IdentityWithLoss</c>): it takes the labels as well as the
/// scores, returns the loss, and starts backpropagation, so its API differs from <see cref="ILayer"/>.
/// </summary>
public interface ILossLayer
{
    /// <summary>The output of the last <see cref="Forward"/> (probabilities or the identity), null before the first call.</summary>
    Tensor? Y { get; }

    /// <summary>The loss of scores <paramref name="x"/> against labels <paramref name="t"/>, remembering both for <see cref="Backward"/>.</summary>
    double Forward(Tensor x, Tensor t);

    /// <summary>dLoss/dx times <paramref name="dout"/> (1 at the end of the network, as the book's <c>backward(dout=1)</c>).</summary>
    Tensor Backward(double dout = 1);
}
