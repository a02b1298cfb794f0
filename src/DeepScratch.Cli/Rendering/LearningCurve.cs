using DeepScratch.Training;
using ScottPlot;
using SkiaSharp;

namespace DeepScratch.Cli.Rendering;

/// <summary>
/// The learning-curve picture of a training run: train and test accuracy at each epoch's end (and at the last
/// iteration of a run that ends mid-epoch) above, the loss of every
/// iteration below (the book's figures 4-11 and 5-32), drawn with ScottPlot into one PNG.
/// </summary>
internal static class LearningCurve
{
    private const int Width = 900;
    private const int PanelHeight = 380;

    public static void Write(Stream output, TrainingHistory history, string title)
    {
        var accuracy = new Plot();
        double[] epochs = history.AccuracyEpochs.ToArray();
        var train = accuracy.Add.Scatter(epochs, history.TrainAccuracy.ToArray());
        train.LegendText = "train accuracy";
        var test = accuracy.Add.Scatter(epochs, history.TestAccuracy.ToArray());
        test.LegendText = "test accuracy";
        test.LinePattern = LinePattern.Dashed;
        accuracy.Title(title);
        accuracy.XLabel("epoch");
        // Whole epochs from 0 to the first whole epoch at or after the last point (1 for a run shorter than an
        // epoch), ticked at whole epochs: at most about ten ticks, never fractions of an epoch.
        int lastEpoch = Math.Max(1, (int)Math.Ceiling(epochs.DefaultIfEmpty(1).Max() - 1e-9));
        accuracy.Axes.SetLimitsX(0, lastEpoch);
        accuracy.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(Math.Max(1, (int)Math.Ceiling(lastEpoch / 10.0)));
        accuracy.YLabel("accuracy");
        accuracy.Axes.SetLimitsY(Math.Max(0, Math.Min(history.TrainAccuracy.DefaultIfEmpty(0).Min(), history.TestAccuracy.DefaultIfEmpty(0).Min()) - 0.05), 1.0);
        accuracy.ShowLegend(Alignment.LowerRight);

        var loss = new Plot();
        double[] iterations = Enumerable.Range(1, history.Loss.Count).Select(i => (double)i).ToArray();
        var line = loss.Add.ScatterLine(iterations, history.Loss.ToArray());
        line.LegendText = "minibatch loss";
        loss.XLabel("iteration");
        loss.YLabel("loss");
        loss.ShowLegend(Alignment.UpperRight);

        using var surface = SKSurface.Create(new SKImageInfo(Width, 2 * PanelHeight));
        surface.Canvas.Clear(SKColors.White);
        DrawAt(surface.Canvas, accuracy, 0);
        DrawAt(surface.Canvas, loss, PanelHeight);
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        png.SaveTo(output);
    }

    private static void DrawAt(SKCanvas canvas, Plot plot, int top)
    {
        using var bitmap = SKBitmap.Decode(plot.GetImageBytes(Width, PanelHeight, ImageFormat.Png));
        canvas.DrawBitmap(bitmap, 0, top);
    }
}
