#:project ../../src/DeepScratch/DeepScratch.csproj
#:package StbImageWriteSharp@1.16.7
// Book: ch03/mnist_show.py — loads MNIST unnormalised (0-255), prints the first training image's label and its shape
// before and after reshaping to 28x28, and shows the image (the book opens it with PIL; here it is written as a PNG).
// Run:  dotnet run examples/ch03/mnist_show.cs      (needs the MNIST training set; --dataset fashion-mnist also works)
// Prints "5", "(784,)", "(28, 28)", then the file it wrote: ch03-mnist_show.png (280x280, each pixel 10x10).
// ci: --dataset fashion-mnist --quick
using DeepScratch.Data;
using DeepScratch.Tensors;
using StbImageWriteSharp;

var run = ChapterScript.Start(args);

var ((xTrain, tTrain), (xTest, tTest)) = Mnist.Load(flatten: true, normalize: false, store: run.Store, kind: run.Dataset);

var img = xTrain.Row(0);
int label = (int)tTrain[0];
Console.WriteLine(label); // 5 in MNIST

Console.WriteLine(img.ShapeString); // (784,)
img = img.Reshape(28, 28); // back to the image's own shape
Console.WriteLine(img.ShapeString); // (28, 28)

ImgShow(img);

// PIL's Image.fromarray(np.uint8(img)).show(), as a file: each pixel drawn as a 10x10 grey square so it is visible.
static void ImgShow(Tensor img)
{
    const int scale = 10;
    const string file = "ch03-mnist_show.png";
    int rows = img.Dim(0), columns = img.Dim(1), width = columns * scale, height = rows * scale;
    var pixels = new byte[width * height];
    for (int y = 0; y < height; y++)
    {
        for (int x = 0; x < width; x++)
        {
            pixels[y * width + x] = (byte)img[y / scale, x / scale];
        }
    }

    using var stream = File.Create(file);
    new ImageWriter().WritePng(pixels, width, height, ColorComponents.Grey, stream);
    Console.WriteLine(file);
}
