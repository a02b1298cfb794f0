using DeepScratch.Training;

namespace DeepScratch.Tests.Training;

/// <summary><c>MiniBatch.RandomChoice</c>: numpy's <c>np.random.choice(n, size)</c> (uniform, with replacement).</summary>
public sealed class MiniBatchTests
{
    [Fact]
    public void Indices_are_uniform_over_the_range_with_replacement()
    {
        int[] mask = MiniBatch.RandomChoice(new Random(1), 4, 40_000);
        Assert.Equal(40_000, mask.Length);
        Assert.All(mask, i => Assert.InRange(i, 0, 3));
        // Each of the 4 values about 10,000 times (binomial sd ≈ 87; 5 sd = 435): uniform, and repeats are allowed.
        Assert.All(mask.GroupBy(i => i), g => Assert.InRange(g.Count(), 9_565, 10_435));
        Assert.Equal(4, mask.Distinct().Count());
    }

    [Fact]
    public void A_batch_larger_than_the_set_repeats_indices_and_a_seed_repeats_the_batch()
    {
        int[] mask = MiniBatch.RandomChoice(new Random(3), 5, 100);
        Assert.True(mask.Distinct().Count() <= 5);
        Assert.Equal(mask, MiniBatch.RandomChoice(new Random(3), 5, 100));
        Assert.Equal(new int[7], MiniBatch.RandomChoice(new Random(3), 1, 7));
        Assert.Empty(MiniBatch.RandomChoice(new Random(3), 5, 0));
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniBatch.RandomChoice(new Random(), 0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniBatch.RandomChoice(new Random(), 3, -1));
        Assert.Throws<ArgumentNullException>(() => MiniBatch.RandomChoice(null!, 3, 1));
    }
}
