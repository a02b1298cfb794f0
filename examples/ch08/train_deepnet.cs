#:project ../../src/DeepScratch/DeepScratch.csproj
// ci: --dataset fashion-mnist --quick
// The book's ch08/train_deepnet.py: trains DeepConvNet (six 3x3 convolutions, Dropout) with Adam (lr 0.001) for 20
// epochs of 100-image minibatches, 1,000 images measured per epoch, then saves the parameters (about 0.99 on MNIST).
// The full run takes hours on a CPU. Run: dotnet run examples/ch08/train_deepnet.cs   (--quick: 300/100 images, 1 epoch)
// Writes deep_convnet_params.safetensors (for `deepscratch eval --weights`).
using DeepScratch.Data;
using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

var run = ChapterScript.Start(args);

var ((xTrain, tTrain), (xTest, tTest)) = Mnist.Load(flatten: false, store: run.Store, kind: run.Dataset);

if (run.Quick)
{
    (xTrain, tTrain) = (xTrain.Rows(0, 300), tTrain.Rows(0, 300));
    (xTest, tTest) = (xTest.Rows(0, 100), tTest.Rows(0, 100));
}

var network = new DeepConvNet();
var trainer = new Trainer(network, new Adam(learningRate: 0.001),
    new TrainerOptions(BatchSize: 100, Epochs: run.Pick(20, 1), EvaluationSample: 1000));
var history = trainer.Fit(xTrain, tTrain, xTest, tTest, new Verbose());
Console.WriteLine("=============== Final Test Accuracy ===============");
Console.WriteLine("test acc:" + history.TestAccuracy[^1]);

// Save the parameters
const string paramsFile = "deep_convnet_params.safetensors";
ModelFile.Save(paramsFile, network, new Dictionary<string, string> { [ModelFile.DatasetKey] = Catalog.FolderName(run.Dataset) });
Console.WriteLine("Saved Network Parameters! (" + paramsFile + ")");

// The book's Trainer(verbose=True): one line per epoch, plus the minibatch loss every 100 iterations.
sealed class Verbose : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value)
    {
        if (value.TrainAccuracy is double trainAcc && value.TestAccuracy is double testAcc)
        {
            Console.WriteLine("=== epoch:" + value.Epoch + ", train acc:" + trainAcc + ", test acc:" + testAcc + " ===");
        }
        else if (value.Iteration % 100 == 0)
        {
            Console.WriteLine("train loss:" + value.Loss);
        }
    }
}
