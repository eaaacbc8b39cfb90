// Times HAL's own competitive-release example (Examples/_6CompetitiveRelease/ExampleModel.java
// of the public MathOnco/HAL repository) headless, on the case benchmarks/bench_hal.py runs:
// 100 x 100, the grid 96 % full, half of the cells resistant, the drug on throughout.
// This file is ours; HAL is compiled from the user's checkout beside the project
// (bench_hal.py --hal-checkout PATH), never copied in. It sits in the example's package
// because the example's cell class is package-private.
package Examples._6CompetitiveRelease;

import HAL.Rand;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

public class HalTiming {
    public static void main(String[] args) {
        int size = 100, warm = Integer.parseInt(args[0]), ticks = Integer.parseInt(args[1]);
        double fill = 0.96;
        ExampleModel m = new ExampleModel(size, size, new Rand(1));
        Rand init = new Rand(2);
        for (int i = 0; i < size * size; i++) {
            if (init.Double() < fill) {
                m.NewAgentSQ(i).type = init.Double() < 0.5 ? ExampleModel.RESISTANT : ExampleModel.SENSITIVE;
            }
        }
        m.DRUG_START = -1;  // the drug enters through the boundary from the first tick ...
        m.DRUG_PERIOD = 1e9;
        m.DRUG_DURATION = 1e9;  // ... and stays on, as in bench_hal.py
        for (int t = 0; t < warm; t++) {
            m.ModelStep(t);  // JIT warm-up
        }
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        long pop0 = m.Pop();
        long c0 = bean.getCurrentThreadCpuTime(), w0 = System.nanoTime();
        for (int t = warm; t < warm + ticks; t++) {
            m.ModelStep(t);
        }
        long c1 = bean.getCurrentThreadCpuTime(), w1 = System.nanoTime();
        System.out.printf("hal_cpu_ms_per_tick=%.4f hal_wall_ms_per_tick=%.4f cells_start=%d cells_end=%d%n",
                (c1 - c0) / 1e6 / ticks, (w1 - w0) / 1e6 / ticks, pop0, m.Pop());
    }
}
