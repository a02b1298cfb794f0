using System.Runtime.Intrinsics;
using DeepScratch.Kernels;

namespace DeepScratch.Models.Inference;

/// <summary>
/// One compiled step of an <see cref="InferenceEngine"/>: immutable (weights packed once), run by any number of
/// sessions at once, each passing its own buffers. Input is floats, or pixel bytes for a first step that can read them.
/// </summary>
internal abstract unsafe class EngineOp
{
    /// <summary>Floats per example this step writes.</summary>
    public abstract int OutputWidth { get; }

    /// <summary>Whether the step can read raw pixel bytes (divided by 255 as read) instead of floats.</summary>
    public virtual bool ReadsBytes => false;

    /// <summary>Whether the step may write over its input (element-wise steps do, in place).</summary>
    public virtual bool InPlace => false;

    /// <summary>What computes this step (the kernel's name for a convolution), for tests and profiles.</summary>
    public virtual string Name => GetType().Name[..^"Op".Length];

    /// <summary>Multiply-adds of the step's product for one example (0 for element-wise steps): how much work it is.</summary>
    public virtual long MultiplyAdds => 0;

    /// <summary>Floats of the caller's workspace a batch of <paramref name="count"/> needs (0 for most steps).</summary>
    public virtual int WorkspaceLength(int count) => 0;

    /// <summary>
    /// Runs <paramref name="count"/> examples from <paramref name="input"/> (or <paramref name="pixels"/>) into
    /// <paramref name="output"/>, with the session's <paramref name="workspace"/> (at least <see cref="WorkspaceLength"/> floats).
    /// </summary>
    public abstract void Run(float* input, byte* pixels, int count, float* output, Span<float> workspace);
}

/// <summary>y = x·W + b (+ activation) through the shared GEMM, W packed once.</summary>
internal sealed unsafe class LinearOp(float[] weights, int inputs, int outputs, ReadOnlySpan<float> bias, Activation activation) : EngineOp
{
    private readonly PackedMatrix _w = PackedMatrix.Pack(weights, outputs, Transpose.No, inputs, outputs);
    private readonly float[] _bias = PackedMatrix.PadBias(bias);

    public override int OutputWidth => outputs;

    public override long MultiplyAdds => (long)inputs * outputs;

    public override bool ReadsBytes => true;

    public override void Run(float* input, byte* pixels, int count, float* output, Span<float> workspace)
    {
        var source = input != null ? MatrixSource.RowMajor(input, inputs) : MatrixSource.Pixels(pixels, inputs);
        fixed (float* w = &_w.Data[_w.Offset])
        fixed (float* b = _bias)
        {
            Gemm.Run(new Operation(count, outputs, inputs, source, _w, w, 1f, 0f, output, outputs, b, activation));
        }
    }
}

/// <summary>A convolution on channels-last images through a chosen <see cref="IConvolutionKernel"/>.</summary>
internal sealed unsafe class ConvolutionOp(IConvolutionKernel kernel, int outputWidth, long multiplyAdds) : EngineOp
{
    public override int OutputWidth => outputWidth;

    public override long MultiplyAdds => multiplyAdds;

    public override bool ReadsBytes => kernel.ReadsBytes;

    public override string Name => kernel.Name;

    public override int WorkspaceLength(int count) => kernel.WorkspaceLength(count);

    public override void Run(float* input, byte* pixels, int count, float* output, Span<float> workspace) => kernel.Run(input, pixels, count, output, workspace);
}

/// <summary>
/// Max pooling over channels-last images: each output pixel is the element-wise max of its window's channel vectors;
/// a window reaching into the padding also takes 0, as the book's zero-padded im2col does. The input's pixels may be
/// <paramref name="pixelStride"/> ≥ C floats apart (a convolution padded to whole panels); the output is compact.
/// Images are shared out over the cores (the pool was the one single-threaded step of the engine's profile).
/// </summary>
internal sealed unsafe class MaxPoolOp(int height, int width, int channels, int poolH, int poolW, int stride, int pad, int pixelStride) : EngineOp
{
    private readonly int _outH = (height + 2 * pad - poolH) / stride + 1;
    private readonly int _outW = (width + 2 * pad - poolW) / stride + 1;

    public override int OutputWidth => _outH * _outW * channels;

    public override void Run(float* input, byte* pixels, int count, float* output, Span<float> workspace)
    {
        var job = new Job
        {
            Input = input, Output = output, Count = count, Height = height, Width = width, Channels = channels, PoolH = poolH,
            PoolW = poolW, Stride = stride, Pad = pad, PixelStride = pixelStride, OutH = _outH, OutW = _outW,
            // A few blocks per core so that an uneven core still finishes with the others; whole images per block.
            Blocks = Math.Min(count, 4 * Environment.ProcessorCount),
        };
        WorkerPool.Run(&RunBlock, &job, job.Blocks);
    }

    /// <summary>Everything one call needs, on the caller's stack.</summary>
    private struct Job
    {
        public float* Input, Output;
        public int Count, Height, Width, Channels, PoolH, PoolW, Stride, Pad, PixelStride, OutH, OutW, Blocks;
    }

    /// <summary>Images [count·block/blocks, count·(block+1)/blocks).</summary>
    private static void RunBlock(void* state, int block)
    {
        var j = (Job*)state;
        var (first, end) = WorkerPool.ShareOf(j->Count, 1, block, j->Blocks);
        int c = j->Channels;
        float* o = j->Output + (long)first * j->OutH * j->OutW * c;
        for (int n = first; n < end; n++)
        {
            float* image = j->Input + (long)n * j->Height * j->Width * j->PixelStride;
            for (int py = 0; py < j->OutH; py++)
            {
                int y0 = py * j->Stride - j->Pad;
                int fy0 = Math.Max(0, -y0), fy1 = Math.Min(j->PoolH, j->Height - y0);
                for (int px = 0; px < j->OutW; px++, o += c)
                {
                    int x0 = px * j->Stride - j->Pad;
                    int fx0 = Math.Max(0, -x0), fx1 = Math.Min(j->PoolW, j->Width - x0);
                    bool padded = fy0 > 0 || fx0 > 0 || fy1 < j->PoolH || fx1 < j->PoolW;
                    Window(j, image, y0, x0, fy0, fy1, fx0, fx1, padded, o);
                }
            }
        }
    }

    private static void Window(Job* j, float* image, int y0, int x0, int fy0, int fy1, int fx0, int fx1, bool padded, float* o)
    {
        int c = j->Channels, s = j->PixelStride;
        int rowStride = j->Width * s;
        float* first = image + (long)(y0 + fy0) * rowStride + (x0 + fx0) * s;
        var start = padded ? Vector256<float>.Zero : Vector256.Create(float.NegativeInfinity);
        // Whole vectors of channels, then one last vector ending at channel c (overlapping is harmless for a max).
        for (int ch = 0; ch < c; ch += 8)
        {
            int at = ch + 8 <= c ? ch : c - 8;
            if (at < 0)
            {
                Scalar(c, s, first, rowStride, fy1 - fy0, fx1 - fx0, padded, o);
                return;
            }

            var max = start;
            for (int y = 0; y < fy1 - fy0; y++)
            {
                float* row = first + (long)y * rowStride + at;
                for (int x = 0; x < fx1 - fx0; x++)
                {
                    max = Vector256.Max(max, Vector256.Load(row + x * s));
                }
            }

            max.Store(o + at);
        }
    }

    private static void Scalar(int channels, int pixelStride, float* first, int rowStride, int rows, int cols, bool padded, float* o)
    {
        for (int ch = 0; ch < channels; ch++)
        {
            float max = padded ? 0f : float.NegativeInfinity;
            for (int y = 0; y < rows; y++)
            {
                for (int x = 0; x < cols; x++)
                {
                    max = Math.Max(max, first[(long)y * rowStride + x * pixelStride + ch]);
                }
            }

            o[ch] = max;
        }
    }
}

/// <summary>y = x·scale + shift per feature (one scale for all when scale has one value), then an optional activation; in place.</summary>
internal sealed unsafe class ScaleShiftOp(int width, float[] scale, float[]? shift, Activation activation) : EngineOp
{
    public override int OutputWidth => width;

    public override bool InPlace => true;

    public override void Run(float* input, byte* pixels, int count, float* output, Span<float> workspace)
    {
        for (int n = 0; n < count; n++)
        {
            var x = new ReadOnlySpan<float>(input + (long)n * width, width);
            var y = new Span<float>(output + (long)n * width, width);
            if (scale.Length == 1)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(x, scale[0], y);
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(x, scale, y);
            }

            if (shift is not null)
            {
                if (shift.Length == 1)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(y, shift[0], y);
                }
                else
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(y, shift, y);
                }
            }

            ActivationOp.Apply(activation, y);
        }
    }
}

/// <summary>An activation on its own (when no GEMM precedes it to fuse it into), or the final softmax per row; in place.</summary>
internal sealed unsafe class ActivationOp(int width, Activation activation) : EngineOp
{
    public override int OutputWidth => width;

    public override bool InPlace => true;

    public override void Run(float* input, byte* pixels, int count, float* output, Span<float> workspace)
    {
        for (int n = 0; n < count; n++)
        {
            var y = new Span<float>(output + (long)n * width, width);
            new ReadOnlySpan<float>(input + (long)n * width, width).CopyTo(y);
            Apply(activation, y);
        }
    }

    /// <summary>The same functions the layers use, so a step run alone gives the layers' values.</summary>
    public static void Apply(Activation activation, Span<float> y)
    {
        switch (activation)
        {
            case Activation.Relu:
                Functions.Activations.Relu(y, y);
                break;
            case Activation.Sigmoid:
                Functions.Activations.Sigmoid(y, y);
                break;
            case Activation.Softmax:
                Functions.Activations.Softmax(y, y);
                break;
        }
    }
}
