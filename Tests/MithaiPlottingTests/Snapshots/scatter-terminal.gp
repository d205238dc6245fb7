reset
set terminal dumb size 80,24 mono
set output
set encoding utf8
set datafile missing NaN
set border 3 lc rgb "#5F5F5F"
set tics textcolor rgb "#BCBCBC" nomirror
set key textcolor rgb "#BCBCBC" top left opaque box lc rgb "#3A3A3A"
set title textcolor rgb "#FFB000"
set xlabel textcolor rgb "#BCBCBC"
set ylabel textcolor rgb "#BCBCBC"
set y2label textcolor rgb "#BCBCBC"
set xdata
set xtics autofreq
set key
unset xlabel
unset ylabel
unset logscale y
plot '$DATA0_0' binary format="%float64%float64" using 1:2 with points pt 7 ps 0.5 lc rgb "#FFB000" title "fills"
