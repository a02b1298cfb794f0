namespace DeepScratch.Models.Inference;

/// <summary>
/// One way to compute a compiled convolution step, so that another kernel (a direct or Winograd 3x3 one) can be
/// chosen per layer later: channels-last images in, channels-last outputs (N·OH·OW, FN) with bias and activation applied.
/// </summary>
internal unsafe interface IConvolutionKernel
{
    /// <summary>
    /// Convolves <paramref name="count"/> images, given as floats or (when <paramref name="images"/> is null) as pixel
    /// bytes divided by 255 as they are read, into <paramref name="output"/>.
    /// </summary>
    void Run(float* images, byte* pixels, int count, float* output);
}
