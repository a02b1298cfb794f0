#:project ../../src/DeepScratch/DeepScratch.csproj
#:package ScottPlot@5.1.59
#:package SkiaSharp.NativeAssets.Linux.NoDependencies@3.119.0
// ci: --dataset fashion-mnist --quick
// The book's ch06/batch_norm_test.py: for 16 initial weight scales from 1 to 0.0001, trains a 6-layer network with and
// without Batch Normalization on 1,000 images for 20 epochs and prints both training accuracies per epoch (figure 6-19).
// Run: dotnet run examples/ch06/batch_norm_test.cs   (--quick: 2 epochs per scale)   Writes ch06-batch_norm_test.png
using System.Globalization;
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Tensors;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;
using ScottPlot;

var run = ChapterScript.Start(args);

var ((xTrain, tTrain), (xTest, tTest)) = Mnist.Load(normalize: true, store: run.Store, kind: run.Dataset);

// Use fewer training images
xTrain = xTrain.Rows(0, 1000);
tTrain = tTrain.Rows(0, 1000);

int maxEpochs = run.Pick(20, 2);
int trainSize = xTrain.Dim(0);
int batchSize = 100;
double learningRate = 0.01;
var random = new Random(0);

(List<double> TrainAccList, List<double> BnTrainAccList) Train(double weightInitStd)
{
    string init = weightInitStd.ToString("R", CultureInfo.InvariantCulture);
    var bnNetwork = new MultiLayerNetExtend(inputSize: 784, hiddenSizes: [100, 100, 100, 100, 100], outputSize: 10,
        weightInit: init, useBatchnorm: true);
    var network = new MultiLayerNetExtend(inputSize: 784, hiddenSizes: [100, 100, 100, 100, 100], outputSize: 10,
        weightInit: init);
    var optimizer = new Sgd(learningRate);

    var trainAccList = new List<double>();
    var bnTrainAccList = new List<double>();

    int iterPerEpoch = Math.Max(trainSize / batchSize, 1);
    int epochCnt = 0;

    for (int i = 0; ; i++)
    {
        int[] batchMask = MiniBatch.RandomChoice(random, trainSize, batchSize);
        var xBatch = xTrain.TakeRows(batchMask);
        var tBatch = tTrain.TakeRows(batchMask);

        foreach (var net in new[] { bnNetwork, network })
        {
            net.Gradient(xBatch, tBatch);
            optimizer.Update(net.Parameters);
        }

        if (i % iterPerEpoch == 0)
        {
            double trainAcc = network.Accuracy(xTrain, tTrain);
            double bnTrainAcc = bnNetwork.Accuracy(xTrain, tTrain);
            trainAccList.Add(trainAcc);
            bnTrainAccList.Add(bnTrainAcc);

            Console.WriteLine("epoch:" + epochCnt + " | " + trainAcc + " - " + bnTrainAcc);

            epochCnt++;
            if (epochCnt >= maxEpochs)
            {
                break;
            }
        }
    }

    return (trainAccList, bnTrainAccList);
}

// 3: Draw the graph ==========
double[] weightScaleList = Enumerable.Range(0, 16).Select(i => Math.Pow(10, -4.0 * i / 15)).ToArray(); // np.logspace(0, -4, num=16)
double[] x = Enumerable.Range(0, maxEpochs).Select(i => (double)i).ToArray();
var multiplot = new Multiplot();
multiplot.AddPlots(16);
multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows: 4, columns: 4);

for (int i = 0; i < weightScaleList.Length; i++)
{
    double w = weightScaleList[i];
    Console.WriteLine("============== " + (i + 1) + "/16" + " ==============");
    var (trainAccList, bnTrainAccList) = Train(w);

    var plot = multiplot.GetPlot(i);
    plot.Title($"W:{w:G4}");
    var bn = plot.Add.ScatterLine(x, bnTrainAccList.ToArray());
    var normal = plot.Add.ScatterLine(x, trainAccList.ToArray());
    normal.LinePattern = LinePattern.Dashed;
    if (i == 15)
    {
        bn.LegendText = "Batch Normalization";
        normal.LegendText = "Normal(without BatchNorm)";
        plot.ShowLegend(Alignment.LowerRight);
    }

    plot.Axes.SetLimits(0, maxEpochs - 1, 0, 1.0);
    if (i % 4 == 0)
    {
        plot.YLabel("accuracy");
    }

    if (i >= 12)
    {
        plot.XLabel("epochs");
    }
}

const string file = "ch06-batch_norm_test.png";
multiplot.SavePng(file, 1400, 1200);
Console.WriteLine(file);
