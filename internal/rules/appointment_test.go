package rules

import (
	"fmt"
	"testing"
	"time"
)

func TestAppointmentSchedule(t *testing.T) {
	tx := newFakeTx(stored("Patient", "p1", `{"resourceType":"Patient"}`))
	appt := func(status, times string) string {
		return fmt.Sprintf(`{"resourceType":"Appointment","status":%q,%s
			"participant":[{"actor":{"reference":"Patient/p1"},"status":"accepted"},{"type":[{"text":"nurse"}],"status":"needs-action"}]}`, status, times)
	}
	tests := []struct {
		name, body string
		want       outcome
	}{
		{"twenty minutes", appt("booked", `"start":"2025-06-02T09:00:00Z","end":"2025-06-02T09:20:00Z","minutesDuration":20,`), accepted()},
		{"offsets agree", appt("booked", `"start":"2025-06-02T09:00:00-05:00","end":"2025-06-02T14:20:00Z","minutesDuration":20,`), accepted()},
		{"minutesDuration disagrees", appt("booked", `"start":"2025-06-02T09:00:00Z","end":"2025-06-02T09:20:00Z","minutesDuration":15,`), unprocessable("Appointment.minutesDuration")},
		{"ends before it starts", appt("booked", `"start":"2025-06-02T09:00:00Z","end":"2025-06-02T08:00:00Z",`), unprocessable("Appointment.end")},
		{"start alone", appt("proposed", `"start":"2025-06-02T09:00:00Z",`), unprocessable("Appointment.end")},
		{"end alone", appt("proposed", `"end":"2025-06-02T09:00:00Z",`), unprocessable("Appointment.start")},
		{"proposed without times", appt("proposed", ``), accepted()},
		{"booked without times", appt("booked", ``), unprocessable("Appointment.start")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := run(t, tx, "Appointment", tt.body, "")
			tt.want.check(t, c, err)
		})
	}
}

func TestSlotOverlaps(t *testing.T) {
	at := func(hhmm string) time.Time {
		v, err := time.Parse("15:04", hhmm)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		a, b [2]string
		want bool
	}{
		{[2]string{"09:00", "09:20"}, [2]string{"09:10", "09:30"}, true},
		{[2]string{"09:00", "09:20"}, [2]string{"09:20", "09:40"}, false}, // back to back
		{[2]string{"09:00", "17:00"}, [2]string{"10:00", "10:10"}, true},  // inside
		{[2]string{"09:00", "09:20"}, [2]string{"08:00", "09:00"}, false},
	}
	for _, tt := range tests {
		a, b := slot{at(tt.a[0]), at(tt.a[1])}, slot{at(tt.b[0]), at(tt.b[1])}
		if a.overlaps(b) != tt.want || b.overlaps(a) != tt.want {
			t.Errorf("%v overlaps %v = %v, want %v", tt.a, tt.b, a.overlaps(b), tt.want)
		}
	}
}
