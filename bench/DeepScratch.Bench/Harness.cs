using System.Diagnostics;

namespace DeepScratch.Bench;

/// <summary>Timing with warm-up and repetitions: reports the median and the best of the measured runs.</summary>
internal static class Harness
{
    public readonly record struct Timing(double MedianMs, double BestMs);

    public static Timing Measure(Action action, int warmup = 3, int runs = 15, double minSeconds = 0.5)
    {
        for (int i = 0; i < warmup; i++)
        {
            action();
        }

        var samples = new List<double>();
        var total = Stopwatch.StartNew();
        while (samples.Count < runs || (total.Elapsed.TotalSeconds < minSeconds && samples.Count < 10_000))
        {
            long start = Stopwatch.GetTimestamp();
            action();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        samples.Sort();
        return new Timing(samples[samples.Count / 2], samples[0]);
    }
}
