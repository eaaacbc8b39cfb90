// Times HAL's own competitive-release example (Examples/_6CompetitiveRelease/ExampleModel.java
// of the public MathOnco/HAL repository) headless, on the case benchmarks/bench_hal.py runs:
// 100 x 100, the grid 96 % full, half of the cells resistant, the drug on throughout, 100 warm-up
// ticks before the timed ones (the JIT warms up on a throwaway model first).
// This file is ours; HAL is compiled from the user's checkout beside the project
// (bench_hal.py --hal-checkout PATH), never copied in. It sits in the example's package
// because the example's cell class is package-private.
package Examples._6CompetitiveRelease;

import HAL.Rand;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

public class HalTiming {
    static ExampleModel build(int size, long seed) {
        ExampleModel m = new ExampleModel(size, size, new Rand(seed));
        Rand init = new Rand(seed + 1);
        for (int i = 0; i < size * size; i++) {
            if (init.Double() < 0.96) {
                m.NewAgentSQ(i).type = init.Double() < 0.5 ? ExampleModel.RESISTANT : ExampleModel.SENSITIVE;
            }
        }
        m.DRUG_START = -1;  // the drug enters through the boundary from the first tick ...
        m.DRUG_PERIOD = 1e9;
        m.DRUG_DURATION = 1e9;  // ... and stays on, as in bench_hal.py
        return m;
    }

    public static void main(String[] args) {
        int size = 100, jitWarm = Integer.parseInt(args[0]), ticks = Integer.parseInt(args[1]);
        // the JIT compiles on a throwaway model, so the timed one starts as bench_hal.py's does:
        // 96 % full, half resistant, then the same 100 warm-up ticks
        ExampleModel jit = build(size, 7);
        for (int t = 0; t < jitWarm; t++) {
            jit.ModelStep(t);
        }
        ExampleModel m = build(size, 1);
        for (int t = 0; t < 100; t++) {
            m.ModelStep(t);
        }
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cells = 0;
        long c0 = bean.getCurrentThreadCpuTime(), p0 = os.getProcessCpuTime(), w0 = System.nanoTime();
        for (int t = 100; t < 100 + ticks; t++) {
            cells += m.Pop();
            m.ModelStep(t);
        }
        long c1 = bean.getCurrentThreadCpuTime(), p1 = os.getProcessCpuTime(), w1 = System.nanoTime();
        System.out.printf("hal_cpu_ms_per_tick=%.4f hal_process_cpu_ms_per_tick=%.4f hal_wall_ms_per_tick=%.4f "
                + "mean_cells=%.1f%n", (c1 - c0) / 1e6 / ticks, (p1 - p0) / 1e6 / ticks, (w1 - w0) / 1e6 / ticks,
                (double) cells / ticks);
    }
}
