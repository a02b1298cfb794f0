namespace DeepScratch.Models.Inference;

/// <summary>
/// One way to compute a compiled convolution step, so that the engine chooses one per layer
/// (<see cref="ImplicitGemmConvolution"/>, <see cref="SingleChannelKernel"/>, <see cref="WinogradKernel"/>): channels-last images in, channels-last outputs (N·OH·OW, FN) with bias and activation applied.
/// </summary>
internal unsafe interface IConvolutionKernel
{
    /// <summary>The kernel's name (its class, plus "+MaxPool" when it also pools), for tests and profiles.</summary>
    string Name { get; }

    /// <summary>Whether <see cref="Run"/> takes pixel bytes; otherwise the session normalises them to floats first.</summary>
    bool ReadsBytes { get; }

    /// <summary>Floats of the caller's workspace a batch of <paramref name="count"/> images needs.</summary>
    int WorkspaceLength(int count);

    /// <summary>
    /// Convolves <paramref name="count"/> images, given as floats or (when <paramref name="images"/> is null) as pixel
    /// bytes divided by 255 as they are read (only when <see cref="ReadsBytes"/>), into <paramref name="output"/>, using
    /// the caller's <paramref name="workspace"/> of at least <see cref="WorkspaceLength"/> floats.
    /// </summary>
    void Run(float* images, byte* pixels, int count, float* output, Span<float> workspace);
}
