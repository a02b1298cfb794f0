using System.Diagnostics;
using DeepScratch.Data;
using DeepScratch.Kernels;
using DeepScratch.Models;

namespace DeepScratch.Bench;

/// <summary>
/// Part 'steps': where the engine's time goes for the book's CNNs over the 10,000 test images, step by step (the
/// session's loop, each step timed on its own; best of 3 passes per step), with the kernel each step runs.
/// </summary>
internal static unsafe class StepProfile
{
    public static void Run(string data)
    {
        var set = Mnist.LoadSet(DatasetSplit.Test, new DataStore(data, null));
        foreach (var (name, engine) in new[] { ("simple_convnet", BookCnnSteps.Simple(data)), ("deep_convnet", BookCnnSteps.Deep(data)) })
        {
            foreach (int batch in new[] { 50, 100, 1000 })
            {
                Profile(name, engine, set, batch);
            }
        }
    }

    private static void Profile(string name, InferenceEngine engine, MnistSet set, int batch)
    {
        var ops = engine.Ops;
        int width = Math.Max(engine.MaxWidth, engine.InputSize);
        var input = GC.AllocateArray<float>(batch * engine.InputSize, pinned: true);
        var a = GC.AllocateArray<float>(batch * width, pinned: true);
        var b = GC.AllocateArray<float>(batch * width, pinned: true);
        var workspace = GC.AllocateArray<float>(ops.Max(o => o.WorkspaceLength(batch)), pinned: true);
        var best = Enumerable.Repeat(double.MaxValue, ops.Count + 1).ToArray();
        byte[] pixels = set.Images.Pixels;
        for (int pass = 0; pass < 4; pass++)
        {
            var times = new double[ops.Count + 1];
            fixed (byte* px = pixels)
            fixed (float* pin = input)
            fixed (float* pa = a)
            fixed (float* pb = b)
            {
                for (int start = 0; start < set.Count; start += batch)
                {
                    int count = Math.Min(batch, set.Count - start);
                    long t0 = Stopwatch.GetTimestamp();
                    PixelScaling.Normalize(px + (long)start * engine.InputSize, pin, count * engine.InputSize);
                    times[0] += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    float* current = pin, next = pa;
                    for (int i = 0; i < ops.Count; i++)
                    {
                        var op = ops[i];
                        float* output = op.InPlace && current != pin ? current : next;
                        long t = Stopwatch.GetTimestamp();
                        op.Run(current, null, count, output, workspace);
                        times[i + 1] += Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                        current = output;
                        next = output == pa ? pb : pa;
                    }
                }
            }

            if (pass > 0)
            {
                for (int i = 0; i < best.Length; i++)
                {
                    best[i] = Math.Min(best[i], times[i]);
                }
            }
        }

        Console.WriteLine($"{name}, batch {batch}: {best.Sum():F1} ms over {set.Count} images (best pass per step)");
        Console.WriteLine($"  {"normalise pixels",-36} {best[0],8:F1} ms");
        for (int i = 0; i < ops.Count; i++)
        {
            Console.WriteLine($"  {i + 1,2} {ops[i].Name,-33} {best[i + 1],8:F1} ms  ({ops[i].OutputWidth} floats/image out)");
        }
    }
}
