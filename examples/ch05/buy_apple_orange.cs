#:project ../../src/DeepScratch/DeepScratch.csproj
// The book's ch05/buy_apple_orange.py: two apples at 100 and three oranges at 150 plus 10% tax, as multiply and add
// nodes of a computational graph; forward gives the price, backward the derivative of the price by every input.
// Run: dotnet run examples/ch05/buy_apple_orange.cs      Prints price: 715, then dApple: 2.2, dApple_num: 110,
// dOrange: 3.3, dOrange_num: 165, dTax: 650.
using DeepScratch.Data;
using DeepScratch.Layers;

var run = ChapterScript.Start(args);

double apple = 100;
double appleNum = 2;
double orange = 150;
double orangeNum = 3;
double tax = 1.1;

// layer
var mulAppleLayer = new MulLayer();
var mulOrangeLayer = new MulLayer();
var addAppleOrangeLayer = new AddLayer();
var mulTaxLayer = new MulLayer();

// forward
double applePrice = mulAppleLayer.Forward(apple, appleNum);          // (1)
double orangePrice = mulOrangeLayer.Forward(orange, orangeNum);      // (2)
double allPrice = addAppleOrangeLayer.Forward(applePrice, orangePrice); // (3)
double price = mulTaxLayer.Forward(allPrice, tax);                   // (4)

// backward
double dprice = 1;
var (dallPrice, dtax) = mulTaxLayer.Backward(dprice);                        // (4)
var (dapplePrice, dorangePrice) = addAppleOrangeLayer.Backward(dallPrice);   // (3)
var (dorange, dorangeNum) = mulOrangeLayer.Backward(dorangePrice);           // (2)
var (dapple, dappleNum) = mulAppleLayer.Backward(dapplePrice);               // (1)

// int(...) as the book prints the whole amounts; G15 hides the last-bit noise of 1.1 in binary (1.1·3 is 3.3000000000000003).
Console.WriteLine($"price: {(int)price}");
Console.WriteLine($"dApple: {dapple:G15}");
Console.WriteLine($"dApple_num: {(int)dappleNum}");
Console.WriteLine($"dOrange: {dorange:G15}");
Console.WriteLine($"dOrange_num: {(int)dorangeNum}");
Console.WriteLine($"dTax: {dtax:G15}");
