using System.CommandLine;
using DeepScratch.Cli.Console;
using DeepScratch.Models;

namespace DeepScratch.Cli.Commands;

/// <summary><c>deepscratch gates</c>: the truth tables of the chapter 2 perceptron gates.</summary>
internal static class GatesCommand
{
    public static Command Create()
    {
        var command = new Command("gates", "Print the truth tables of the perceptron gates AND, NAND, OR and XOR (chapter 2).");
        command.SetAction(_ => ErrorReporter.Run(() =>
        {
            foreach (var (name, gate) in LogicGates.All)
            {
                System.Console.WriteLine($"{name}{(name == "XOR" ? " (two layers: AND(NAND, OR))" : "")}");
                System.Console.WriteLine(" x1 x2 | y");
                System.Console.WriteLine(" ------+--");
                foreach (var (x1, x2) in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
                {
                    System.Console.WriteLine($"  {x1}  {x2} | {gate(x1, x2)}");
                }

                System.Console.WriteLine();
            }

            return 0;
        }));
        return command;
    }
}
