#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// The book's ch07/visualize_filter.py: the 30 first-layer filters (5x5) of SimpleConvNet, drawn in grey (dark = large
// weight), first as randomly initialised, then as learned (the book's params.pkl, from the data folder; figure 7-24).
// Run: dotnet run examples/ch07/visualize_filter.cs
// Writes ch07-visualize_filter-random.png and ch07-visualize_filter-learned.png
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Serialization;
using DeepScratch.Tensors;
using ScottPlot;

var run = ChapterScript.Start(args);

var network = new SimpleConvNet();
// The weights after random initialisation
FilterShow(W1(network), "ch07-visualize_filter-random.png", "SimpleConvNet W1, random initialisation");

// The weights after learning
network.LoadParameters(NumpyPickle.LoadTensors(run.Store.Ensure(Catalog.SimpleConvNetParams)));
FilterShow(W1(network), "ch07-visualize_filter-learned.png", "SimpleConvNet W1, learned (params.pkl)");

static Tensor W1(SimpleConvNet network) => network.Parameters.Single(p => p.Name == "W1").Value;

// filters (FN, C, FH, FW): channel 0 of each filter, nx a row, each scaled from its own smallest to largest weight.
static void FilterShow(Tensor filters, string file, string title, int nx = 8)
{
    int fn = filters.Dim(0), fh = filters.Dim(2), fw = filters.Dim(3);
    int ny = (int)Math.Ceiling(fn / (double)nx);

    var figure = new Multiplot();
    figure.AddPlots(fn);
    figure.Layout = new ScottPlot.MultiplotLayouts.Grid(rows: ny, columns: nx);
    for (int i = 0; i < fn; i++)
    {
        var values = new double[fh, fw];
        for (int y = 0; y < fh; y++)
        {
            for (int x = 0; x < fw; x++)
            {
                values[y, x] = filters[i, 0, y, x];
            }
        }

        var ax = figure.GetPlot(i);
        var image = ax.Add.Heatmap(values);
        image.Colormap = new ScottPlot.Colormaps.GrayscaleReversed();
        ax.Axes.Frameless();
        ax.HideGrid();
        ax.Axes.Margins(0, 0);
        ax.Layout.Fixed(new PixelPadding(4, 4, 4, 4)); // a white gap between the filters
    }

    figure.SavePng(file, nx * 90, ny * 90);
    Console.WriteLine($"{title}: {fn} filters of {fh}x{fw}, weights {filters.Min():0.###} to {filters.Max():0.###}");
    Console.WriteLine(file);
}
