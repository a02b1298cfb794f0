namespace DeepScratch.Tests.Models;

/// <summary>
/// Numbers computed by the book's own numpy code, so the tests compare against the book and not against ourselves.
/// Regenerate with bench/reference/book_eval.py (Debian's python3-numpy).
/// </summary>
internal static class BookReference
{
    /// <summary>predict(network, x_test[0]) with sample_weight.pkl: float32 softmax output (the image is a 7).</summary>
    public static readonly float[] FirstImageProbabilities =
    [
        8.441256795777008e-05f, 2.6350653570261784e-06f, 0.0007154952036216855f, 0.001258627395145595f,
        1.1727966011676472e-06f, 4.4990894821239635e-05f, 1.6269286362557978e-08f, 0.997065007686615f,
        9.37447930482449e-06f, 0.0008183119352906942f,
    ];

    /// <summary>
    /// The class the book's numpy code predicts for each of the 10,000 test images (batches of 100), one digit per image;
    /// written by bench/reference/book_eval.py's predict loop into book-predictions.txt.
    /// </summary>
    public static int[] Predictions()
    {
        string text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Models", "book-predictions.txt")).Trim();
        return text.Select(c => c - '0').ToArray();
    }
}
