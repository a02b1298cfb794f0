#:project ../../src/DeepScratch/DeepScratch.csproj
// The book's ch05/buy_apple.py: two apples at 100 each plus 10% tax as a computational graph of two multiply nodes;
// forward gives the price, backward how much the price moves per unit change of each input.
// Run: dotnet run examples/ch05/buy_apple.cs      Prints price: 220, then dApple: 2.2, dApple_num: 110, dTax: 200.
using DeepScratch.Data;
using DeepScratch.Layers;

var run = ChapterScript.Start(args);

double apple = 100;
double appleNum = 2;
double tax = 1.1;

var mulAppleLayer = new MulLayer();
var mulTaxLayer = new MulLayer();

// forward
double applePrice = mulAppleLayer.Forward(apple, appleNum);
double price = mulTaxLayer.Forward(applePrice, tax);

// backward
double dprice = 1;
var (dapplePrice, dtax) = mulTaxLayer.Backward(dprice);
var (dapple, dappleNum) = mulAppleLayer.Backward(dapplePrice);

// int(...) as the book prints the whole amounts; G15 hides the last-bit noise of 1.1 in binary, as the book's text shows.
Console.WriteLine($"price: {(int)price}");
Console.WriteLine($"dApple: {dapple:G15}");
Console.WriteLine($"dApple_num: {(int)dappleNum}");
Console.WriteLine($"dTax: {dtax:G15}");
