using System.Numerics;
using DeepScratch.Layers;

namespace DeepScratch.Training.Optimizers;

/// <summary>
/// The element-wise updates of the chapter 6 optimizers as single fused passes (each element read and written once,
/// in vector registers, large parameters split over the worker pool), instead of one pass over memory per
/// operation. Each operation is still rounded in float on its own, in the book's order (no FMA contraction), so the
/// results are those of the separate passes. Allocation-free: the state lives on the caller's stack.
/// </summary>
internal static unsafe class FusedUpdate
{
    /// <summary>The pointers and scalars one update reads (unused ones stay null / 0).</summary>
    public struct Step
    {
        public float* Value;
        public float* Grad;
        public float* State;
        public float A;
        public float B;
        public float C;
        public float D;
    }

    /// <summary>Runs <paramref name="body"/> over a parameter of <paramref name="length"/> elements.</summary>
    public static void Run(delegate*<void*, int, int, void> body, ref Step step, int length)
    {
        fixed (Step* s = &step)
        {
            ParallelChunks.Run(body, s, length);
        }
    }

    /// <summary>AdaGrad: h += g·g; param += (g / (√h + 1e-7))·(−lr). A = lr.</summary>
    public static void AdaGrad(void* state, int start, int count)
    {
        var s = (Step*)state;
        float* value = s->Value + start, grad = s->Grad + start, h = s->State + start;
        float lr = s->A;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var negLr = new Vector<float>(-lr);
            var eps = new Vector<float>(AdaptiveStep.Epsilon);
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = Vector.Load(grad + i);
                var hi = g * g + Vector.Load(h + i);
                Vector.Store(hi, h + i);
                Vector.Store(g / (Vector.SquareRoot(hi) + eps) * negLr + Vector.Load(value + i), value + i);
            }
        }

        for (; i < count; i++)
        {
            float g = grad[i];
            float hi = g * g + h[i];
            h[i] = hi;
            value[i] = g / (MathF.Sqrt(hi) + AdaptiveStep.Epsilon) * -lr + value[i];
        }
    }

    /// <summary>RMSprop: h = h·decay + (g·(1 − decay))·g; param += (g / (√h + 1e-7))·(−lr). A = lr, B = decay, C = 1 − decay.</summary>
    public static void RmsProp(void* state, int start, int count)
    {
        var s = (Step*)state;
        float* value = s->Value + start, grad = s->Grad + start, h = s->State + start;
        float lr = s->A, decay = s->B, keepNew = s->C;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var negLr = new Vector<float>(-lr);
            var vDecay = new Vector<float>(decay);
            var vKeep = new Vector<float>(keepNew);
            var eps = new Vector<float>(AdaptiveStep.Epsilon);
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = Vector.Load(grad + i);
                var hi = g * vKeep * g + Vector.Load(h + i) * vDecay;
                Vector.Store(hi, h + i);
                Vector.Store(g / (Vector.SquareRoot(hi) + eps) * negLr + Vector.Load(value + i), value + i);
            }
        }

        for (; i < count; i++)
        {
            float g = grad[i];
            float hi = g * keepNew * g + h[i] * decay;
            h[i] = hi;
            value[i] = g / (MathF.Sqrt(hi) + AdaptiveStep.Epsilon) * -lr + value[i];
        }
    }

    /// <summary>Momentum: v = v·α + g·(−lr); param += v. A = lr, B = α.</summary>
    public static void Momentum(void* state, int start, int count)
    {
        var s = (Step*)state;
        float* value = s->Value + start, grad = s->Grad + start, v = s->State + start;
        float lr = s->A, momentum = s->B;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var negLr = new Vector<float>(-lr);
            var vm = new Vector<float>(momentum);
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                var vi = Vector.Load(grad + i) * negLr + Vector.Load(v + i) * vm;
                Vector.Store(vi, v + i);
                Vector.Store(Vector.Load(value + i) + vi, value + i);
            }
        }

        for (; i < count; i++)
        {
            float vi = grad[i] * -lr + v[i] * momentum;
            v[i] = vi;
            value[i] = value[i] + vi;
        }
    }

    /// <summary>Nesterov: v = v·α + g·(−lr); param += v·α²; param += g·(−(1 + α)·lr). A = lr, B = α, C = (1 + α)·lr, D = α² (rounded once from double, as before).</summary>
    public static void Nesterov(void* state, int start, int count)
    {
        var s = (Step*)state;
        float* value = s->Value + start, grad = s->Grad + start, v = s->State + start;
        float lr = s->A, momentum = s->B, gradientStep = s->C, lookAhead = s->D;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var negLr = new Vector<float>(-lr);
            var vm = new Vector<float>(momentum);
            var look = new Vector<float>(lookAhead);
            var negStep = new Vector<float>(-gradientStep);
            for (; i <= count - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = Vector.Load(grad + i);
                var vi = g * negLr + Vector.Load(v + i) * vm;
                Vector.Store(vi, v + i);
                Vector.Store(g * negStep + (vi * look + Vector.Load(value + i)), value + i);
            }
        }

        for (; i < count; i++)
        {
            float g = grad[i];
            float vi = g * -lr + v[i] * momentum;
            v[i] = vi;
            value[i] = g * -gradientStep + (vi * lookAhead + value[i]);
        }
    }
}
