#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// The book's ch06/weight_init_activation_histogram.py: 1,000 random inputs through five 100-neuron sigmoid layers with
// N(0, 1) weights; the histograms of each layer's activations pile up at 0 and 1 (the book's figure 6-10).
// Run: dotnet run examples/ch06/weight_init_activation_histogram.cs      Writes ch06-weight_init_activation_histogram.png
using DeepScratch.Data;
using DeepScratch.Functions;
using DeepScratch.Layers;
using DeepScratch.Tensors;
using ScottPlot;

var run = ChapterScript.Start(args);

var random = new Random(0);
var inputData = WeightInit.Normal(random, 1.0, 1000, 100); // 1,000 examples
int nodeNum = 100;          // neurons in each hidden layer
int hiddenLayerSize = 5;    // five hidden layers
var activations = new Dictionary<int, Tensor>(); // the activations of each layer

var x = inputData;

for (int i = 0; i < hiddenLayerSize; i++)
{
    if (i != 0)
    {
        x = activations[i - 1];
    }

    // Try other initial weights: the standard deviation 1 below, 0.01, Math.Sqrt(1.0 / nodeNum) (Xavier), Math.Sqrt(2.0 / nodeNum) (He)
    var w = WeightInit.Normal(random, 1.0, nodeNum, nodeNum);

    var a = Tensor.Dot(x, w);

    // Try other activations too: Activations.Relu(a)
    var z = Activations.Sigmoid(a);

    activations[i] = z;
}

// Draw the histograms
var multiplot = new Multiplot();
multiplot.AddPlots(activations.Count);
multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows: 1, columns: activations.Count);
foreach (var (i, a) in activations)
{
    var plot = multiplot.GetPlot(i);
    plot.Title((i + 1) + "-layer");
    var hist = ScottPlot.Statistics.Histogram.WithBinCount(30, 0, 1);
    hist.AddRange(a.ToArray().Select(v => (double)v));
    plot.Add.Histogram(hist);
    plot.Axes.SetLimits(0, 1, 0, hist.Counts.Max() * 1.05);
    plot.XLabel("activation");
    if (i == 0)
    {
        plot.YLabel("count");
    }

    Console.WriteLine($"{i + 1}-layer: {Share(a, v => v < 0.1 || v > 0.9):P1} of the activations below 0.1 or above 0.9 ({Share(a, v => v < 0.1):P1} below, {Share(a, v => v > 0.9):P1} above)");
}

const string file = "ch06-weight_init_activation_histogram.png";
multiplot.SavePng(file, 1500, 400);
Console.WriteLine(file);

static double Share(Tensor t, Func<float, bool> test) => t.ToArray().Count(test) / (double)t.Length;
