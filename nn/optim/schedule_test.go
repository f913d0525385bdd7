package optim

import (
	"math"
	"testing"
)

// TestLinearWarmupMatchesFixture checks the learning rates the reference
// run's Trainer used (train/trajectory.json: lr_used_per_step).
func TestLinearWarmupMatchesFixture(t *testing.T) {
	tr := loadTrajectory(t)
	sched, err := LinearWarmup(tr.Schedule.WarmupSteps, tr.Schedule.TotalSteps)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.LRUsedPerStep) != tr.OptimizerSteps {
		t.Fatalf("fixture lists %d learning rates for %d steps", len(tr.LRUsedPerStep), tr.OptimizerSteps)
	}
	for s, want := range tr.LRUsedPerStep {
		if got := sched.LR(tr.Optimizer.LR, int64(s)); got != want {
			t.Errorf("step %d: lr %.17g, fixture %.17g", s, got, want)
		}
	}
}

func TestScheduleValues(t *testing.T) {
	lin, err := LinearWarmup(10, 110)
	if err != nil {
		t.Fatal(err)
	}
	noWarm, _ := LinearWarmup(0, 4)
	cons, _ := ConstantWarmup(4)
	flat, _ := ConstantWarmup(0)
	cos, _ := CosineWarmup(10, 110, 0.5)
	cos1, _ := CosineWarmup(0, 100, 1)
	for _, tc := range []struct {
		name  string
		sched Schedule
		step  int64
		want  float64
	}{
		{"linear 0", lin, 0, 0},
		{"linear 3", lin, 3, 0.3},
		{"linear 10", lin, 10, 1},
		{"linear 60", lin, 60, 0.5},
		{"linear 109", lin, 109, 0.01},
		{"linear 110", lin, 110, 0},
		{"linear 500", lin, 500, 0},
		{"linear no warm-up 0", noWarm, 0, 1},
		{"linear no warm-up 1", noWarm, 1, 0.75},
		{"constant 2", cons, 2, 0.5},
		{"constant 4", cons, 4, 1},
		{"constant 1e6", cons, 1e6, 1},
		{"flat 0", flat, 0, 1},
		{"cosine 5", cos, 5, 0.5},
		{"cosine 10", cos, 10, 1},
		{"cosine 60", cos, 60, 0.5},
		{"cosine 35", cos, 35, 0.5 * (1 + math.Sqrt2/2)},
		{"cosine 110", cos, 110, 0},
		{"cosine one cycle 50", cos1, 50, 0},
		{"cosine one cycle 100", cos1, 100, 1},
		{"cosine one cycle 150", cos1, 150, 0},
	} {
		if got := tc.sched(tc.step); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%s: %.17g, want %.17g", tc.name, got, tc.want)
		}
	}
	for _, bad := range []func() error{
		func() error { _, err := LinearWarmup(-1, 5); return err },
		func() error { _, err := LinearWarmup(1, -5); return err },
		func() error { _, err := ConstantWarmup(-2); return err },
		func() error { _, err := CosineWarmup(0, 5, -1); return err },
		func() error { _, err := CosineWarmup(0, 5, math.NaN()); return err },
	} {
		if bad() == nil {
			t.Error("bad schedule arguments accepted")
		}
	}
}
