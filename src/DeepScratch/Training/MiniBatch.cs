namespace DeepScratch.Training;

/// <summary>
/// Picking a mini-batch as the book's training loops do (ch. 4.2.3, 4.5): <c>batch_mask = np.random.choice(train_size,
/// batch_size)</c>, then <c>x_batch = x_train[batch_mask]</c> (<see cref="Tensors.Tensor.TakeRows(ReadOnlySpan{int})"/>).
/// <see cref="Trainer"/> instead shuffles once per epoch and walks the permutation, so every example is seen each epoch.
/// </summary>
public static class MiniBatch
{
    /// <summary>
    /// <paramref name="size"/> indices drawn uniformly from 0..<paramref name="n"/>-1 <em>with replacement</em> (an
    /// index may repeat), as <c>np.random.choice(n, size)</c> with its default <c>replace=True</c>.
    /// </summary>
    /// <param name="random">The generator (seed it for a repeatable run).</param>
    /// <param name="n">How many examples there are to choose from (the book's <c>train_size</c>).</param>
    /// <param name="size">How many to draw (the book's <c>batch_size</c>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="random"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is not positive or <paramref name="size"/> is negative.</exception>
    public static int[] RandomChoice(Random random, int n, int size)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var mask = new int[size];
        for (int i = 0; i < size; i++)
        {
            mask[i] = random.Next(n);
        }

        return mask;
    }
}
